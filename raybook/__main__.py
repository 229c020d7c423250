import sys

from raybook.cli import main

sys.exit(main())
