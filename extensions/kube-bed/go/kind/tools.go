//go:build tools

// Package tools pins the commands the bed builds from sigs.k8s.io/kind.
package tools

import (
	_ "sigs.k8s.io/kind"
)
