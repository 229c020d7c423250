//go:build tools

// Package tools pins the commands the bed builds from github.com/ray-project/kuberay/ray-operator.
package tools

import (
	_ "github.com/ray-project/kuberay/ray-operator"
)
