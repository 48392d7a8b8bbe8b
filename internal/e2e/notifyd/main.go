// Command notifyd is a test daemon for the end-to-end tests: it tells its
// supervisor it is ready in one of the ways svscan's services can, then
// waits for SIGTERM.
//
//	notifyd ready SECONDS   sleep, then send READY=1 and STATUS= to $NOTIFY_SOCKET
//	notifyd flood N         send N garbage and oversized datagrams, then READY=1
//	notifyd fd N            sleep a moment, then write a newline to descriptor N (s6)
//	notifyd echo TEXT       print TEXT on stdout and stderr, then wait
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/sdnotify"
)

func notify(msg string) error {
	return sdnotify.Send(os.Getenv(sdnotify.EnvSocket), msg)
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: notifyd ready|flood|fd|echo ARG")
		os.Exit(100)
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGINT)
	arg := os.Args[2]
	switch os.Args[1] {
	case "ready":
		secs, _ := strconv.ParseFloat(arg, 64)
		time.Sleep(time.Duration(secs * float64(time.Second)))
		if err := notify("READY=1\nSTATUS=serving"); err != nil {
			fmt.Fprintln(os.Stderr, "notifyd:", err)
			os.Exit(111)
		}
	case "flood":
		n, _ := strconv.Atoi(arg)
		garbage := []string{"", "=", "READY", "READY=0", "\x00\xff\xfe", strings.Repeat("X", 60000),
			"STATUS=" + strings.Repeat("s", 5000), "WATCHDOG=1\nMAINPID=1", "FDSTORE=1", "READY=2\n\n\n"}
		sent := 0
		for i := 0; i < n; i++ {
			if notify(garbage[i%len(garbage)]) == nil {
				sent++
			}
		}
		fmt.Printf("notifyd: sent %d of %d garbage datagrams\n", sent, n)
		// A supervisor may drop everything in the flood's second; what
		// matters is that it listens again afterwards.
		time.Sleep(1500 * time.Millisecond)
		if err := notify("READY=1\nSTATUS=survived the flood"); err != nil {
			// The supervisor's queue may still be full: try for a while.
			for i := 0; i < 100 && err != nil; i++ {
				time.Sleep(50 * time.Millisecond)
				err = notify("READY=1\nSTATUS=survived the flood")
			}
		}
	case "fd":
		n, err := strconv.Atoi(arg)
		if err != nil {
			os.Exit(100)
		}
		time.Sleep(200 * time.Millisecond)
		if _, err := unix.Write(n, []byte("\n")); err != nil {
			fmt.Fprintln(os.Stderr, "notifyd: write fd:", err)
		}
	case "echo":
		fmt.Println(arg)
		fmt.Fprintln(os.Stderr, arg+" (stderr)")
	default:
		os.Exit(100)
	}
	<-term
}
