package journal

import (
	"bufio"
	"io"
	"strconv"
	"time"

	"github.com/svbridge/svbridge/internal/cli"
)

// MaxLine is the longest line sent as one entry; longer lines are split.
const MaxLine = 48 << 10

// LineOptions configure CopyLines.
type LineOptions struct {
	Identifier  string        // SYSLOG_IDENTIFIER and SVC_NAME
	Priority    int           // PRIORITY of lines without a <N> prefix
	LevelPrefix bool          // honour a leading "<N>" (sd-daemon) on a line
	Retry       time.Duration // pause between attempts while journald is away (default 1 s)
	Stderr      io.Writer     // where to say (once per outage) that journald is away
	Prog        string        // program name for those messages
}

// CopyLines sends every line of r to journald through c as one entry,
// until r ends. While journald cannot be reached it waits and retries the
// same line, so nothing is lost and the writer feels back-pressure (as
// multilog does on a full disk); it says so once per outage.
func CopyLines(r io.Reader, c *Conn, o LineOptions) error {
	if o.Retry <= 0 {
		o.Retry = time.Second
	}
	fields := []Field{{"MESSAGE", ""}, {"PRIORITY", ""}, {"SYSLOG_IDENTIFIER", o.Identifier}, {"SVC_NAME", o.Identifier}}
	return ForEachLine(r, o.LevelPrefix, o.Priority, func(msg []byte, prio int) error {
		fields[0].Value = string(msg)
		fields[1].Value = strconv.Itoa(prio)
		return sendRetrying(c, fields, o)
	})
}

// ForEachLine calls fn for every line of r (without its newline), cutting
// lines longer than MaxLine into pieces, with the priority prio or, when
// levelPrefix is set, the one of a leading "<N>" (N in 0..7), which is then
// removed. A last line without a newline counts too.
func ForEachLine(r io.Reader, levelPrefix bool, prio int, fn func(msg []byte, prio int) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	send := func(line []byte) error {
		msg, p := line, prio
		if levelPrefix && len(msg) >= 3 && msg[0] == '<' && msg[2] == '>' && msg[1] >= '0' && msg[1] <= '7' {
			p = int(msg[1] - '0')
			msg = msg[3:]
		}
		return fn(msg, p)
	}
	var line []byte
	split := false
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err == io.EOF {
			if len(line) > 0 {
				return send(line)
			}
			return nil
		}
		if err != nil {
			return err
		}
		line = append(line, chunk...)
		for len(line) > MaxLine {
			if err := send(line[:MaxLine]); err != nil {
				return err
			}
			line = append(line[:0], line[MaxLine:]...)
			split = true
		}
		if isPrefix {
			continue
		}
		if len(line) > 0 || !split {
			if err := send(line); err != nil {
				return err
			}
		}
		line, split = line[:0], false
	}
}

func sendRetrying(c *Conn, fields []Field, o LineOptions) error {
	warned := false
	for {
		err := c.Send(fields)
		if err == nil {
			if warned && o.Stderr != nil {
				cli.Warn(o.Stderr, o.Prog, "journald is reachable again")
			}
			return nil
		}
		if err == ErrFieldName {
			return err
		}
		if !warned && o.Stderr != nil {
			cli.Warn(o.Stderr, o.Prog, "unable to send to journald: ", err, "; pausing")
		}
		warned = true
		time.Sleep(o.Retry)
	}
}
