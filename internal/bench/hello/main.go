// Command hello is the Go reference point of the supervision benchmark:
// "hello" prints a line and exits (the cost of starting any Go program);
// "hello idle" waits for a signal (the memory of an idle Go process).
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "idle" {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
		<-c
		return
	}
	fmt.Println("hello, world")
}
