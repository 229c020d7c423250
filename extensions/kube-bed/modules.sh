# Sourced by the bed's scripts (with $here set to this folder): what each go/<folder>/go.mod pins.
# module_version MODULE FOLDER -> the version go/FOLDER requires of MODULE, without its v (1.37.2)
module_version() { (cd "$here/go/$2" && go list -m -f '{{.Version}}' "$1") | sed 's/^v//'; }
# module_dir MODULE FOLDER -> where that module's source lies in Go's module cache
module_dir() { (cd "$here/go/$2" && go list -m -f '{{.Dir}}' "$1"); }
