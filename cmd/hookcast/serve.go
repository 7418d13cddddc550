package main

import (
	"fmt"
	"io"
)

func runServe(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "hookcast serve: not yet implemented")
	return 1
}

func runAccounts(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "hookcast accounts: not yet implemented")
	return 1
}
