// Package getopt parses options as daemontools' getopt does: options come
// before the operands, may be clustered ("-nx"), an option's argument may be
// attached ("-o5") or be the next word, "-" is an operand, and a word
// starting with "--" ends the options and is dropped (so "--foo" is dropped
// as well, as the original does).
package getopt

import (
	"io"
	"path/filepath"
	"strings"
)

// Opt is one option found, with its argument for options that take one.
type Opt struct {
	Char byte
	Arg  string
}

// Error is an option the program does not know, or one missing its argument.
type Error struct {
	Char    byte
	Missing bool // the option needs an argument and none is left
}

// Message is the original's wording, without the program name.
func (e *Error) Message() string {
	if e.Missing {
		return "option requires an argument -- " + string([]byte{e.Char})
	}
	return "illegal option -- " + string([]byte{e.Char})
}

// Print writes "PROG: message" as the original does, PROG being the last
// path element of argv0.
func (e *Error) Print(w io.Writer, argv0 string) {
	io.WriteString(w, filepath.Base(argv0)+": "+e.Message()+"\n")
}

// Parse reads the options at the start of args (args[0] is not the program
// name) against spec, a list of option letters where a letter followed by ':'
// takes an argument. It returns the options in order, the operands, and the
// first error; on error, opts holds the options before it and rest is nil.
func Parse(args []string, spec string) (opts []Opt, rest []string, err *Error) {
	i := 0
	for i < len(args) {
		a := args[i]
		if len(a) < 2 || a[0] != '-' {
			break
		}
		if a[1] == '-' {
			i++
			break
		}
		i++
		for pos := 1; pos < len(a); pos++ {
			c := a[pos]
			k := strings.IndexByte(spec, c)
			if c == ':' || k < 0 {
				return opts, nil, &Error{Char: c}
			}
			if k+1 < len(spec) && spec[k+1] == ':' {
				arg := a[pos+1:]
				if arg == "" {
					if i >= len(args) {
						return opts, nil, &Error{Char: c, Missing: true}
					}
					arg = args[i]
					i++
				}
				opts = append(opts, Opt{Char: c, Arg: arg})
				break
			}
			opts = append(opts, Opt{Char: c})
		}
	}
	return opts, args[i:], nil
}
