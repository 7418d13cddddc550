package main

import (
	"fmt"
	"io"
)

func runListen(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "hookcast listen: not yet implemented")
	return 1
}

func runTrigger(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "hookcast trigger: not yet implemented")
	return 1
}
