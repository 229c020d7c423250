//go:build tools

// Package tools pins the commands the bed builds from helm.sh/helm/v3.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
