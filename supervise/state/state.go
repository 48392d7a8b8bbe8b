// Package state is the status model of one supervised service: one type,
// Status, in one vocabulary (State, Want, ready, last exit, restarts...),
// from which every encoding is derived. supervise keeps it in
// DIR/supervise/status.json (Encode, Decode) and projects it onto
// daemontools' 18-byte supervise/status (Status18; From18 reads those 18
// bytes back as far as they go); "svbridge status --json" (bridge/svinfo)
// shows it, and the journald entries (bridge/journalobs) spell it in their
// SVC_* fields: SVC_STATE with State.String, SVC_WANT with
// Want.JournalName, SVC_NORMALLY with Normally, SVC_RESTARTS and
// SVC_STATUS_TEXT from Restarts and StatusText.
package state

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/svbridge/svbridge/internal/tai64n"
	"github.com/svbridge/svbridge/supervise/status"
	"github.com/svbridge/svbridge/supervise/svdir"
)

// File is the name of the JSON status file inside the service directory.
const File = svdir.StatusJSON

// State is what runs, in one vocabulary with two grains: status.json and
// "svbridge status" hold Up, Down, Finish or Starting (with the flags
// ready, stopping and flapping beside it), while the journal's SVC_STATE,
// the state an event leaves the service in, says Up (a process runs, as
// svstat's "up") or Down, or one of the finer words below.
type State string

// States of status.json (Decode accepts these only).
const (
	Up       State = "up"       // ./run is running (for 1 s, or it said it is ready)
	Down     State = "down"     // nothing runs
	Finish   State = "finish"   // ./finish is running after ./run exited
	Starting State = "starting" // ./run was just started, or a restart is waiting for its pause
	// Unknown is no state of a supervisor: "svbridge status" says it of
	// a directory no supervise runs on, or whose status cannot be read.
	// status.json never holds it.
	Unknown State = "unknown"
)

// States that only SVC_STATE says: status.json says them with its flags.
const (
	Ready        State = "ready"        // it said it is ready (status.json: "ready": true)
	Stopping     State = "stopping"     // svc -d while ./run runs, or it said STOPPING=1 ("stopping": true)
	Flapping     State = "flapping"     // its runs keep ending within a second ("flapping": true)
	Restarting   State = "restarting"   // ./run ended and starts again (an event the journal no longer writes)
	Unsupervised State = "unsupervised" // its supervise ended (svscan's supervise-lost entry)
)

// String is the word of status.json, "svbridge status" and SVC_STATE.
func (s State) String() string { return string(s) }

// Want is what the supervisor has been asked to keep the service at: up
// (svc -u, or no ./down file), down (svc -d), or once (svc -o: run, do not
// restart). Its values are daemontools' want bytes, so the 18-byte
// supervise/status holds it as is; Name and JournalName give its other
// spellings.
type Want byte

// Want values.
const (
	WantOnce Want = Want(status.WantNone)
	WantUp   Want = Want(status.WantUp)
	WantDown Want = Want(status.WantDown)
)

// WantOfByte reads the want byte of supervise/status as svstat does: 'u'
// is up, 'd' down, any other byte once.
func WantOfByte(b byte) Want {
	switch w := Want(b); w {
	case WantUp, WantDown:
		return w
	}
	return WantOnce
}

// Byte is the want byte of supervise/status: 'u', 'd' or 0.
func (w Want) Byte() byte { return byte(WantOfByte(byte(w))) }

// Name is the word of status.json and "svbridge status --json": "up",
// "down", or "" for once.
func (w Want) Name() string {
	switch WantOfByte(byte(w)) {
	case WantUp:
		return "up"
	case WantDown:
		return "down"
	}
	return ""
}

// JournalName is the SVC_WANT field of journald entries: "up", "down" or
// "once" (status.json's Name, with a word for once).
func (w Want) JournalName() string {
	if n := w.Name(); n != "" {
		return n
	}
	return "once"
}

// Normally is the want a supervisor starts with: up, or down when the
// service directory has a ./down file (normallyUp false, as status.json's
// "normally_up"). Its JournalName is the SVC_NORMALLY field.
func Normally(normallyUp bool) Want {
	if normallyUp {
		return WantUp
	}
	return WantDown
}

// MarshalText gives Name.
func (w Want) MarshalText() ([]byte, error) { return []byte(w.Name()), nil }

// UnmarshalText reads Name: "up", "down" or "".
func (w *Want) UnmarshalText(b []byte) error {
	switch string(b) {
	case "up":
		*w = WantUp
	case "down":
		*w = WantDown
	case "":
		*w = WantOnce
	default:
		return ErrBadWant
	}
	return nil
}

// Exit describes how ./run last ended.
type Exit struct {
	Code   int       `json:"code"`   // exit code, or -1 when killed by a signal or unknown
	Signal int       `json:"signal"` // the signal number, 0 if it exited
	Time   time.Time `json:"time"`
	// Unknown: the process was adopted (not a child of its supervisor),
	// so how it ended cannot be read.
	Unknown bool `json:"code_unknown,omitempty"`
}

// Status is the status of one service: what supervise knows of it, written
// whole to supervise/status.json.
type Status struct {
	State      State      `json:"state"`
	Pid        int        `json:"pid"`
	Since      time.Time  `json:"since"` // last change of pid, as in the 18-byte file
	Ready      bool       `json:"ready"`
	ReadySince *time.Time `json:"ready_since,omitempty"`
	StatusText string     `json:"status_text,omitempty"`
	NormallyUp bool       `json:"normally_up"`
	Want       Want       `json:"want"`
	Paused     bool       `json:"paused"`
	LastExit   *Exit      `json:"last_exit,omitempty"`
	Restarts   int        `json:"restarts"`
	Flapping   bool       `json:"flapping"`
	Stopping   bool       `json:"stopping,omitempty"` // the daemon sent STOPPING=1
	Supervisor int        `json:"supervisor_pid,omitempty"`

	// What identifies the processes beyond their pids, so that a new
	// supervisor can adopt a running ./run (and svscan a running
	// supervise) and never a process that got a reused pid: start times
	// in clock ticks after boot (/proc/PID/stat field 22), and the boot.
	PidStart        uint64 `json:"pid_start,omitempty"`
	SupervisorStart uint64 `json:"supervisor_start,omitempty"`
	BootID          string `json:"boot_id,omitempty"`
	// NotifySocket is the NOTIFY_SOCKET ./run was started with (an
	// abstract socket name, "@..."), so that a supervisor adopting the
	// run can listen on it again.
	NotifySocket string `json:"notify_socket,omitempty"`
}

// Status18 is the projection of s onto daemontools' 18-byte
// supervise/status: the stamp of Since, the pid, the paused flag (only
// while there is a pid, as daemontools writes it) and the want byte.
func (s *Status) Status18() status.Status {
	return status.Status{When: tai64n.FromTime(s.Since), Pid: s.Pid, Paused: s.Paused && s.Pid != 0, Want: s.Want.Byte()}
}

// From18 is what the 18 bytes alone say of a service (daemontools' C
// supervise writes nothing else): up or down by the pid, since the stamp,
// paused, and the want (any byte but 'u' and 'd' read as once).
func From18(r status.Status) Status {
	s := Status{State: Down}
	s.Set18(r)
	if s.Pid != 0 {
		s.State = Up
	}
	return s
}

// Set18 takes from r what the 18 bytes hold (pid, stamp, paused, want),
// which is their authority when they and status.json were read together.
func (s *Status) Set18(r status.Status) {
	s.Pid, s.Since, s.Paused, s.Want = r.Pid, r.When.Time(), r.Paused, WantOfByte(r.Want)
}

// MaxSize bounds what Decode accepts: a status file is a few hundred bytes.
const MaxSize = 64 << 10

// ErrTooBig is returned for input over MaxSize.
var ErrTooBig = errors.New("status.json too big")

// ErrBadState is returned for a state that is not one of the four values.
var ErrBadState = errors.New("status.json: unknown state")

// ErrBadWant is returned for a want that is not "up", "down" or "".
var ErrBadWant = errors.New("status.json: unknown want")

// Encode returns the JSON form, newline-terminated. It is written by hand
// (same field names and layout as encoding/json would give) so that the
// supervise process, which writes it on every change, does not pay for
// reflection.
func Encode(s *Status) ([]byte, error) {
	b := make([]byte, 0, 320)
	b = append(b, `{"state":`...)
	b = appendString(b, s.State.String())
	b = append(b, `,"pid":`...)
	b = strconv.AppendInt(b, int64(s.Pid), 10)
	b = append(b, `,"since":`...)
	b = appendTime(b, s.Since)
	b = append(b, `,"ready":`...)
	b = strconv.AppendBool(b, s.Ready)
	if s.ReadySince != nil {
		b = append(b, `,"ready_since":`...)
		b = appendTime(b, *s.ReadySince)
	}
	if s.StatusText != "" {
		b = append(b, `,"status_text":`...)
		b = appendString(b, s.StatusText)
	}
	b = append(b, `,"normally_up":`...)
	b = strconv.AppendBool(b, s.NormallyUp)
	b = append(b, `,"want":`...)
	b = appendString(b, s.Want.Name())
	b = append(b, `,"paused":`...)
	b = strconv.AppendBool(b, s.Paused)
	if s.LastExit != nil {
		b = append(b, `,"last_exit":{"code":`...)
		b = strconv.AppendInt(b, int64(s.LastExit.Code), 10)
		b = append(b, `,"signal":`...)
		b = strconv.AppendInt(b, int64(s.LastExit.Signal), 10)
		b = append(b, `,"time":`...)
		b = appendTime(b, s.LastExit.Time)
		if s.LastExit.Unknown {
			b = append(b, `,"code_unknown":true`...)
		}
		b = append(b, '}')
	}
	b = append(b, `,"restarts":`...)
	b = strconv.AppendInt(b, int64(s.Restarts), 10)
	b = append(b, `,"flapping":`...)
	b = strconv.AppendBool(b, s.Flapping)
	if s.Stopping {
		b = append(b, `,"stopping":true`...)
	}
	if s.Supervisor != 0 {
		b = append(b, `,"supervisor_pid":`...)
		b = strconv.AppendInt(b, int64(s.Supervisor), 10)
	}
	if s.PidStart != 0 {
		b = append(b, `,"pid_start":`...)
		b = strconv.AppendUint(b, s.PidStart, 10)
	}
	if s.SupervisorStart != 0 {
		b = append(b, `,"supervisor_start":`...)
		b = strconv.AppendUint(b, s.SupervisorStart, 10)
	}
	if s.BootID != "" {
		b = append(b, `,"boot_id":`...)
		b = appendString(b, s.BootID)
	}
	if s.NotifySocket != "" {
		b = append(b, `,"notify_socket":`...)
		b = appendString(b, s.NotifySocket)
	}
	return append(b, '}', '\n'), nil
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendString writes a JSON string: control characters, quotes and
// backslashes escaped, invalid UTF-8 replaced, as encoding/json does
// (without its HTML escaping, which a reader does not need).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\t':
			b = append(b, '\\', 't')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[r>>4], hex[r&15])
		case r == utf8.RuneError:
			b = append(b, `\ufffd`...)
		case r == 0x2028 || r == 0x2029:
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&15])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// Decode parses a status.json body.
func Decode(b []byte) (*Status, error) {
	if len(b) > MaxSize {
		return nil, ErrTooBig
	}
	var s Status
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	switch s.State {
	case Up, Down, Finish, Starting:
	default:
		return nil, ErrBadState
	}
	return &s, nil
}

// Read reads DIR/supervise/status.json.
func Read(dir string) (*Status, error) {
	f, err := os.Open(filepath.Join(dir, File))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// A status file is a few hundred bytes: read what is there (svscan
	// reads many at start-up), not a MaxSize buffer each time.
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	return Decode(b)
}

// Write stores s as DIR/supervise/status.json atomically: it writes
// status.json.new and renames it into place.
func Write(dir string, s *Status) error {
	b, err := Encode(s)
	if err != nil {
		return err
	}
	final := filepath.Join(dir, File)
	tmp := final + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}
