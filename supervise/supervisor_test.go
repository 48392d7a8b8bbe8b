package supervise

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/testkit"
	"github.com/svbridge/svbridge/supervise/reap"
	"github.com/svbridge/svbridge/supervise/state"
	"github.com/svbridge/svbridge/supervise/status"
)

// One reaper for the whole test process, as in a real program. Tests in
// this package must not use exec.Cmd: the reaper would take its status.
var testReaper *reap.Reaper

// The tests that mostly wait on their services and on the supervisor's
// one-second restart pause run in parallel (t.Parallel), eight at once:
// each has its own service dir and supervisor, the shared reaper hands
// each child's status to the supervisor that started it, and run scripts
// are written with testkit.WriteExecutable. These stay serial, run before
// the parallel ones: TestManySupervisorsOneProcess (it waits for the
// reaper to have no child left at all), TestChildDescriptors (it checks
// every descriptor ./run has), and the short ones that give a shell a
// fixed moment (TestTimeoutKill) or need nothing more.
func TestMain(m *testing.M) {
	testkit.Parallel(8)
	testReaper = reap.New()
	code := m.Run()
	testReaper.Close()
	os.Exit(code)
}

// recorder is an Observer that keeps every event.
type recorder struct {
	mu  sync.Mutex
	evs []Event
}

func (r *recorder) Observe(e Event) {
	r.mu.Lock()
	r.evs = append(r.evs, e)
	r.mu.Unlock()
}

func (r *recorder) kinds() []EventKind {
	var k []EventKind
	for _, e := range r.events() {
		k = append(k, e.Kind)
	}
	return k
}

func (r *recorder) events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.evs...)
}

func (r *recorder) count(k EventKind) int {
	n := 0
	for _, x := range r.kinds() {
		if x == k {
			n++
		}
	}
	return n
}

type svc struct {
	t    *testing.T
	dir  string
	sup  *Supervisor
	log  *testkit.SyncBuffer
	obs  *recorder
	done chan struct{}
}

// newService makes a service dir with the given run script and extra files.
func newService(t *testing.T, run string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "svc")
	if err := os.Mkdir(dir, 0755); err != nil {
		t.Fatal(err)
	}
	if run != "" {
		if err := testkit.WriteExecutable(filepath.Join(dir, "run"), []byte("#!/bin/sh\n"+run+"\n"), 0755); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range files {
		mode := os.FileMode(0644)
		if name == "finish" {
			mode = 0755
			body = "#!/bin/sh\n" + body + "\n"
		}
		if err := testkit.WriteExecutable(filepath.Join(dir, name), []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func start(t *testing.T, dir string) *svc {
	t.Helper()
	s := &svc{t: t, dir: dir, log: &testkit.SyncBuffer{}, obs: &recorder{}, done: make(chan struct{})}
	sup, err := New(Config{Dir: dir, Reaper: testReaper, Log: s.log, Observer: s.obs})
	if err != nil {
		t.Fatal(err)
	}
	s.sup = sup
	go func() { sup.Run(); close(s.done) }()
	t.Cleanup(func() { s.exit() })
	return s
}

// ctl writes bytes to supervise/control as svc does.
func (s *svc) ctl(b string) {
	s.t.Helper()
	f, err := os.OpenFile(filepath.Join(s.dir, "supervise/control"), os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte(b)); err != nil {
		s.t.Fatal(err)
	}
}

// exit stops the service and the supervisor (svc -dx) and waits.
func (s *svc) exit() {
	select {
	case <-s.done:
		return
	default:
	}
	if st, err := state.Read(s.dir); err == nil && st.Pid != 0 {
		syscall.Kill(st.Pid, syscall.SIGCONT)
	}
	s.ctl("dx")
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.t.Errorf("supervisor of %s did not exit; log:\n%s", s.dir, s.log)
	}
}

func (s *svc) state() *state.Status {
	st, _ := state.Read(s.dir)
	if st == nil {
		return &state.Status{}
	}
	return st
}

// wait polls status.json until cond holds, with a deadline.
func (s *svc) wait(what string, cond func(*state.Status) bool) *state.Status {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := s.state()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s; last %+v; log:\n%s", what, st, s.log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func read18(t *testing.T, dir string) status.Status {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "supervise/status"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := status.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// wait18 waits for the 18-byte status to satisfy cond: it is written
// right after status.json, which wait watches.
func wait18(t *testing.T, dir, what string, cond func(status.Status) bool) {
	t.Helper()
	var last status.Status
	testkit.WaitFor(t, 10*time.Second, "18-byte status "+what, func() bool {
		last = read18(t, dir)
		return cond(last)
	})
}

const hang = "exec sleep 1000"

// waitSleeping waits until pid, a ./run that is hang, sleeps in sleep(1):
// the status shows the pid from the fork on, before the shell has even
// read ./run, and right after the exec of sleep the dynamic loader still
// holds libc open (a descriptor 3 of its own).
func waitSleeping(t *testing.T, pid int) {
	t.Helper()
	testkit.WaitFor(t, 10*time.Second, "sleep(1) sleeping", func() bool {
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		wchan, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", pid))
		return strings.HasSuffix(exe, "/sleep") && strings.Contains(string(wchan), "nanosleep")
	})
}

func TestSuperviseUpDown(t *testing.T) {
	t.Parallel() // see TestMain
	dir := newService(t, hang, nil)
	s := start(t, dir)
	st := s.wait("up", func(st *state.Status) bool { return st.State == state.Up })
	wait18(t, dir, "up", func(b status.Status) bool { return b.Pid == st.Pid && b.Want == 'u' })
	if !testkit.Alive(st.Pid) {
		t.Fatalf("status %+v / %+v", st, read18(t, dir))
	}
	for _, name := range []string{"supervise/control", "supervise/ok"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode()&os.ModeNamedPipe == 0 || fi.Mode().Perm() != 0600 {
			t.Fatalf("%s: %v %v", name, fi.Mode(), err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dir, "supervise")); fi.Mode().Perm() != 0700 {
		t.Fatalf("supervise/ mode %v", fi.Mode())
	}
	s.ctl("d")
	down := s.wait("down", func(st *state.Status) bool { return st.State == state.Down })
	wait18(t, dir, "down", func(b status.Status) bool { return b.Want == 'd' })
	if down.LastExit == nil || down.LastExit.Signal != int(syscall.SIGTERM) {
		t.Fatalf("down %+v", down)
	}
	s.ctl("u")
	s.wait("up again", func(st *state.Status) bool { return st.Pid != 0 && st.Pid != down.Pid })
	s.ctl("p")
	s.wait("paused", func(st *state.Status) bool { return st.Paused })
	wait18(t, dir, "paused", func(b status.Status) bool { return b.Paused })
	s.ctl("c")
	s.wait("continued", func(st *state.Status) bool { return !st.Paused })
	s.ctl("o")
	testkit.WaitFor(t, 10*time.Second, "want 0", func() bool { return read18(t, dir).Want == 0 })
	s.ctl("dx")
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after dx")
	}
	// the lock is released: a new supervisor can take the dir
	s2 := start(t, dir)
	s2.ctl("x")
}

// TestLockFreeAtExit: once a supervisor has exited, its directory's lock is
// free at once, although this process forks all the time (as all-in-one
// svscan does): a child between its fork and its exec holds a copy of
// every descriptor, the lock's too, and only an unlock before the close
// frees the lock for that moment.
func TestLockFreeAtExit(t *testing.T) {
	dir := newService(t, hang, map[string]string{"down": ""})
	testkit.Forking(t, 2, func() error {
		done := make(chan struct{})
		_, err := testReaper.Start("/bin/true", []string{"true"}, &syscall.ProcAttr{}, func(int, syscall.WaitStatus) { close(done) })
		if err == nil {
			<-done
		}
		return err
	})
	for i := 0; i < 300; i++ {
		s := start(t, dir)
		s.ctl("x")
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Fatal("no exit after x")
		}
		fd, err := syscall.Open(filepath.Join(dir, "supervise/lock"), syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		err = syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		syscall.Flock(fd, syscall.LOCK_UN)
		syscall.Close(fd)
		if err != nil {
			t.Fatalf("exit %d: the lock is still held: %v", i+1, err)
		}
	}
}

func TestRestartPause(t *testing.T) {
	t.Parallel() // see TestMain
	dir := newService(t, "echo run >> starts; exit 3", nil)
	s := start(t, dir)
	// Events, not the status file, say when a run ended: the child can
	// write its line (and the test see it) before its supervisor has
	// even recorded its start, and a "d" sent then would end it with
	// SIGTERM instead of its exit 3.
	var starts []time.Time
	testkit.WaitFor(t, 10*time.Second, "4 starts, the 4th ended", func() bool {
		starts = starts[:0]
		ended := false
		for _, e := range s.obs.events() {
			switch e.Kind {
			case EventStarted:
				starts, ended = append(starts, e.Time), false
			case EventExited:
				ended = true
			}
		}
		return len(starts) >= 4 && ended
	})
	paused := s.state() // written before the event was observed
	s.ctl("d")
	if b, _ := os.ReadFile(filepath.Join(dir, "starts")); len(strings.Fields(string(b))) < len(starts) {
		t.Fatalf("%d runs wrote their line, %d ended", len(strings.Fields(string(b))), len(starts))
	}
	// The starts are timed when the supervisor forks (its "started"
	// events), not by each run's own clock, which adds the time the run
	// took to get going: up to a tenth of a second and more under load.
	for i := 1; i < len(starts); i++ {
		if d := starts[i].Sub(starts[i-1]); d < 950*time.Millisecond {
			t.Errorf("starts %d and %d only %.3fs apart", i-1, i, d.Seconds())
		}
	}
	s.wait("down", func(st *state.Status) bool { return st.State == state.Down })
	if st := paused; st.LastExit == nil || st.LastExit.Code != 3 || st.Restarts < 3 || !st.Flapping {
		t.Fatalf("status %+v", st)
	}
	if n := s.obs.count(EventFlapping); n != 1 {
		t.Fatalf("%d flapping events: %v", n, s.obs.kinds())
	}
}

func TestMissingRunKeepsTrying(t *testing.T) {
	t.Parallel() // see TestMain
	dir := newService(t, "", nil)
	s := start(t, dir)
	testkit.WaitFor(t, 10*time.Second, "two failures", func() bool { return strings.Count(s.log.String(), "\n") >= 2 })
	line := strings.SplitN(s.log.String(), "\n", 2)[0]
	if want := "supervise: fatal: unable to start " + dir + "/run: file does not exist"; line != want {
		t.Fatalf("got %q\nwant %q", line, want)
	}
	testkit.WriteExecutable(filepath.Join(dir, "run"), []byte("#!/bin/sh\n"+hang+"\n"), 0755)
	s.wait("up once run exists", func(st *state.Status) bool { return st.Pid != 0 })
}

func TestFinishArgs(t *testing.T) {
	t.Parallel() // see TestMain
	dir := newService(t, "exit 7", map[string]string{"finish": `echo "$@" >> finished`})
	s := start(t, dir)
	testkit.WaitFor(t, 10*time.Second, "finish ran", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "finished"))
		return len(b) > 0
	})
	s.ctl("d")
	b, _ := os.ReadFile(filepath.Join(dir, "finished"))
	if first := strings.SplitN(string(b), "\n", 2)[0]; first != "7 0" {
		t.Fatalf("finish args %q", first)
	}

	dir2 := newService(t, hang, map[string]string{"finish": `echo "$@" > finished; exec sleep 1000`, "timeout-finish": "300"})
	s2 := start(t, dir2)
	s2.wait("up", func(st *state.Status) bool { return st.Pid != 0 })
	s2.ctl("d")
	s2.wait("finish state", func(st *state.Status) bool { return st.State == state.Finish })
	// timeout-finish kills the hanging finish
	s2.wait("down after timeout-finish", func(st *state.Status) bool { return st.State == state.Down })
	b, _ = os.ReadFile(filepath.Join(dir2, "finished"))
	if string(b) != "256 15\n" {
		t.Fatalf("finish args after TERM %q", b)
	}
}

func TestTimeoutKill(t *testing.T) {
	dir := newService(t, "trap '' TERM; touch trapped; while :; do sleep 0.1; done", map[string]string{"timeout-kill": "300"})
	s := start(t, dir)
	s.wait("up", func(st *state.Status) bool { return st.Pid != 0 })
	testkit.WaitFor(t, 10*time.Second, "the shell's TERM trap", func() bool {
		_, err := os.Stat(filepath.Join(dir, "trapped"))
		return err == nil
	})
	s.ctl("d")
	st := s.wait("killed", func(st *state.Status) bool { return st.State == state.Down })
	if st.LastExit.Signal != int(syscall.SIGKILL) {
		t.Fatalf("last exit %+v", st.LastExit)
	}
}

func TestKillPG(t *testing.T) {
	for _, pg := range []bool{true, false} {
		t.Run(fmt.Sprint("killpg=", pg), func(t *testing.T) {
			files := map[string]string{}
			if pg {
				files["killpg"] = ""
			}
			dir := newService(t, "sleep 1000 & echo $! > child; wait", files)
			s := start(t, dir)
			var child int
			testkit.WaitFor(t, 10*time.Second, "child pid", func() bool {
				b, _ := os.ReadFile(filepath.Join(dir, "child"))
				child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				return child > 0
			})
			defer syscall.Kill(child, syscall.SIGKILL)
			st := s.wait("pid", func(st *state.Status) bool { return st.Pid != 0 })
			if pg {
				if pgid, _ := syscall.Getpgid(st.Pid); pgid != st.Pid {
					t.Fatalf("run is not a group leader: pgid %d pid %d", pgid, st.Pid)
				}
			}
			s.ctl("d")
			s.wait("down", func(st *state.Status) bool { return st.State == state.Down })
			if pg {
				testkit.WaitFor(t, 10*time.Second, "group member gone", func() bool { return !testkit.Alive(child) })
			} else if !testkit.Alive(child) {
				t.Fatal("without killpg the child should survive svc -d, as in daemontools")
			}
		})
	}
}

func TestNotifySocket(t *testing.T) {
	dir := newService(t, `echo "$NOTIFY_SOCKET" > sock; `+hang, nil)
	s := start(t, dir)
	var name string
	testkit.WaitFor(t, 10*time.Second, "NOTIFY_SOCKET", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "sock"))
		name = strings.TrimSpace(string(b))
		return name != ""
	})
	if !strings.HasPrefix(name, "@") || len(name) > 107 {
		t.Fatalf("NOTIFY_SOCKET=%q", name)
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	send := func(m string) {
		if _, err := c.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	send("STATUS=warming up\nMAINPID=1")
	s.wait("status text", func(st *state.Status) bool { return st.StatusText == "warming up" })
	if st := s.state(); st.Ready {
		t.Fatal("ready too early")
	}
	send("\x00\xff garbage")
	send("not an assignment")
	send("READY=1")
	st := s.wait("ready", func(st *state.Status) bool { return st.Ready })
	if st.ReadySince == nil {
		t.Fatal("no ready_since")
	}
	if n := strings.Count(s.log.String(), "malformed"); n != 1 {
		t.Fatalf("%d garbage warnings:\n%s", n, s.log)
	}
	// a flood: one warning, the supervisor stays responsive
	for i := 0; i < 2000; i++ {
		c.Write([]byte("STATUS=flood " + strconv.Itoa(i)))
	}
	send("STOPPING=1")
	s.ctl("d")
	s.wait("down after flood", func(st *state.Status) bool { return st.State == state.Down })
	if n := strings.Count(s.log.String(), "flooded"); n != 1 {
		t.Fatalf("%d flood warnings:\n%s", n, s.log)
	}
	// status.json is written before the event is delivered: wait for it
	testkit.WaitFor(t, 10*time.Second, "down event", func() bool { return s.obs.count(EventDown) == 1 })
	kinds := s.obs.kinds()
	for _, k := range []EventKind{EventStarted, EventStatus, EventReady, EventWantedDown, EventExited, EventDown} {
		if s.obs.count(k) == 0 {
			t.Errorf("no %s event in %v", k, kinds)
		}
	}
}

func TestNotificationFD(t *testing.T) {
	dir := newService(t, "read x < go; echo >&5; "+hang, map[string]string{"notification-fd": "5\n"})
	os.WriteFile(filepath.Join(dir, "go"), nil, 0644)
	os.Remove(filepath.Join(dir, "go"))
	syscall.Mkfifo(filepath.Join(dir, "go"), 0600)
	s := start(t, dir)
	st := s.wait("started", func(st *state.Status) bool { return st.Pid != 0 })
	if st.Ready {
		t.Fatal("ready before the newline")
	}
	f, err := os.OpenFile(filepath.Join(dir, "go"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("\n"))
	f.Close()
	s.wait("ready", func(st *state.Status) bool { return st.Ready })
	testkit.WaitFor(t, 10*time.Second, "ready event", func() bool { return s.obs.count(EventReady) == 1 })
}

func TestNotificationFDBad(t *testing.T) {
	t.Parallel() // see TestMain
	dir := newService(t, "date >> starts; exit 1", map[string]string{"notification-fd": "banana"})
	s := start(t, dir)
	testkit.WaitFor(t, 10*time.Second, "3 starts", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "starts"))
		return bytes.Count(b, []byte("\n")) >= 3
	})
	s.ctl("d")
	if n := strings.Count(s.log.String(), "notification-fd"); n != 1 {
		t.Fatalf("%d warnings:\n%s", n, s.log)
	}
}

func TestEvents(t *testing.T) {
	t.Parallel() // see TestMain
	dir := newService(t, hang, nil)
	s := start(t, dir)
	s.wait("up", func(st *state.Status) bool { return st.State == state.Up && !st.Since.IsZero() })
	testkit.WaitFor(t, 10*time.Second, "up event", func() bool { return s.obs.count(EventUp) == 1 })
	s.ctl("k")
	testkit.WaitFor(t, 10*time.Second, "restarted", func() bool { return s.obs.count(EventStarted) == 2 })
	s.ctl("d")
	testkit.WaitFor(t, 10*time.Second, "down", func() bool { return s.obs.count(EventDown) == 1 })
	want := []EventKind{EventStarted, EventUp, EventExited, EventRestarting, EventStarted, EventWantedDown, EventExited, EventDown}
	if got := s.obs.kinds(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events\n got  %v\n want %v", got, want)
	}
	s.obs.mu.Lock()
	ev := s.obs.evs[2]
	s.obs.mu.Unlock()
	if ev.Exit.Signal != int(syscall.SIGKILL) || ev.Exit.Code != -1 || ev.Service != "svc" || ev.Dir != dir || ev.Uptime < time.Second {
		t.Fatalf("exited event %+v", ev)
	}
}

func TestManySupervisorsOneProcess(t *testing.T) {
	const n = 50
	var ss []*svc
	for i := 0; i < n; i++ {
		ss = append(ss, start(t, newService(t, hang, nil)))
	}
	pids := map[int]bool{}
	for _, s := range ss {
		st := s.wait("up", func(st *state.Status) bool { return st.Pid != 0 })
		pids[st.Pid] = true
	}
	if len(pids) != n {
		t.Fatalf("%d distinct pids", len(pids))
	}
	for _, s := range ss {
		s.ctl("k")
	}
	for _, s := range ss {
		s.wait("restarted", func(st *state.Status) bool { return st.Pid != 0 && !pids[st.Pid] })
	}
	for _, s := range ss {
		s.ctl("dx")
	}
	for _, s := range ss {
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s did not exit", s.dir)
		}
		if st := s.state(); st.State != state.Down || st.LastExit.Signal != int(syscall.SIGTERM) {
			t.Fatalf("%s: %+v", s.dir, st)
		}
	}
	testkit.WaitFor(t, 10*time.Second, "reaper drained", func() bool { return testReaper.Pending() == 0 })
}

func TestSecondSupervisorLocked(t *testing.T) {
	dir := newService(t, hang, nil)
	start(t, dir)
	_, err := New(Config{Dir: dir, Reaper: testReaper, Log: &testkit.SyncBuffer{}})
	if err == nil || err.Error() != "unable to acquire "+dir+"/supervise/lock: temporary failure" {
		t.Fatalf("second supervisor: %v", err)
	}
}

// TestChildDescriptors: ./run inherits only 0, 1, 2 (and the
// notification-fd when asked): no lock, FIFO, socket or pipe leaks.
func TestChildDescriptors(t *testing.T) {
	// What this test process got from its parent without close-on-exec
	// (before any supervisor runs) is inherited, as with daemontools.
	inherited := map[string]bool{}
	own, _ := os.ReadDir("/proc/self/fd")
	for _, e := range own {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && fl&unix.FD_CLOEXEC == 0 {
			inherited[e.Name()] = true
		}
	}
	for _, nfd := range []string{"", "7"} {
		wantSet := map[string]bool{"0": true, "1": true, "2": true}
		for fd := range inherited {
			wantSet[fd] = true
		}
		if nfd != "" {
			wantSet[nfd] = true
		}
		files := map[string]string{}
		if nfd != "" {
			files["notification-fd"] = nfd
		}
		s := start(t, newService(t, hang, files))
		st := s.wait("up", func(st *state.Status) bool { return st.Pid != 0 })
		var fds []string
		waitSleeping(t, st.Pid)
		ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", st.Pid))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			fds = append(fds, e.Name())
		}
		var wantList []string
		for _, e := range ents {
			if wantSet[e.Name()] {
				wantList = append(wantList, e.Name())
			}
		}
		want := fmt.Sprint(wantList)
		if len(wantList) != len(fds) || (nfd != "" && !strings.Contains(fmt.Sprint(fds), " "+nfd)) {
			t.Fatalf("notification-fd %q: run has fds %v, want %s", nfd, fds, want)
		}
		s.exit()
	}
}
