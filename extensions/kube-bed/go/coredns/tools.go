//go:build tools

// Package tools pins the commands the bed builds from github.com/coredns/coredns.
package tools

import (
	_ "github.com/coredns/coredns"
)
