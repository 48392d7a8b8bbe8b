// Package updateservice is update-service, the admin helper of Debian's
// daemontools-run package: it registers a service directory in the scanned
// directory ($SVDIR, default /etc/service) as a symbolic link, and removes it
// again, with the same options, messages and exit codes (1 on every error,
// each message followed by an empty line).
//
// Service directories under /etc get their supervise/ (and log/supervise/)
// replaced by a symbolic link to /var/lib/supervise/NAME (and NAME.log), so
// that /etc holds no run-time state.
//
// Two differences from Debian's script, both where it cannot work as meant:
// the "already supervised" check asks supervise itself (Debian's asks runit's
// sv, which daemontools-run conflicts with, so it never fires), and
// "--remove NAME" is also accepted when NAME is registered (Debian's needs
// the directory and fails on a bare name).
package updateservice

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"syscall"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/prog/svc"
)

// Config holds what differs between a real system and a test.
type Config struct {
	Prog       string // program name in messages, "update-service"
	EtcPrefix  string // service dirs under this prefix get their state moved, "/etc/"
	StateDir   string // where that state goes, "/var/lib/supervise"
	DefaultDir string // the scanned directory when $SVDIR is empty, "/etc/service"
	Geteuid    func() int
	// Svc runs "svc args..." (used as "svc -dx DIR") and returns its exit code.
	Svc func(e *cli.Env, args ...string) int
}

// Main runs update-service with the system's paths.
func Main(e *cli.Env) int {
	return System().Run(e)
}

// System is the configuration of a real system: /etc/service, state of
// service dirs in /etc kept in /var/lib/supervise, svbridge's svc.
func System() *Config {
	return &Config{
		Prog:       "update-service",
		EtcPrefix:  "/etc/",
		StateDir:   "/var/lib/supervise",
		DefaultDir: "/etc/service",
		Geteuid:    os.Geteuid,
		Svc: func(e *cli.Env, args ...string) int {
			sub := *e
			sub.Args = append([]string{"svc"}, args...)
			return svc.Main(&sub)
		},
	}
}

// exitFail is the exit code of every failure, as in Debian's script.
const exitFail = 1

// Run is update-service with the paths and helpers of c.
func (c *Config) Run(e *cli.Env) int {
	servicedir := getenv(e, "SVDIR")
	if servicedir == "" {
		servicedir = c.DefaultDir
	}
	arg := func(i int) string {
		if i < len(e.Args) {
			return e.Args[i]
		}
		return ""
	}
	opt, svdir, sv := arg(1), strings.TrimSuffix(arg(2), "/"), arg(3)
	if opt != "" && !strings.HasPrefix(opt, "-") {
		return c.usage(e)
	}
	switch opt {
	case "-c", "--check":
		quiet := *e
		quiet.Stdout, quiet.Stderr = io.Discard, io.Discard
		return c.list(&quiet, servicedir, svdir)
	case "-l", "--list":
		return c.list(e, servicedir, svdir)
	case "-a", "--add", "-r", "--remove":
	default:
		return c.usage(e)
	}
	if svdir == "" {
		return c.usage(e)
	}
	remove := opt == "-r" || opt == "--remove"
	if remove && !strings.HasPrefix(svdir, "/") && !strings.Contains(svdir, "/") {
		// svbridge extension: a bare registered NAME stands for its directory.
		if target, err := os.Readlink(servicedir + "/" + svdir); err == nil && strings.HasPrefix(target, "/") {
			if sv == "" {
				sv = svdir
			}
			svdir = strings.TrimSuffix(target, "/")
		}
	}
	if fi, err := os.Stat(svdir); err != nil || !fi.IsDir() {
		return c.fatal(e, svdir+" does not exist, or is not a directory.")
	}
	if !strings.HasPrefix(svdir, "/") {
		return c.fatal(e, "The <service-directory> must start with a slash.")
	}
	if sv == "" {
		sv = svdir[strings.LastIndex(svdir, "/")+1:]
	}
	if sv == "" || strings.HasPrefix(sv, ".") {
		return c.fatal(e, "The <service-name> must not start with a dot.")
	}
	if strings.Contains(sv, "/") {
		return c.fatal(e, "The <service-name> must not contain a slash.")
	}
	if remove {
		return c.remove(e, servicedir, svdir, sv)
	}
	return c.add(e, servicedir, svdir, sv)
}

func (c *Config) list(e *cli.Env, servicedir, name string) int {
	if name == "" {
		entries, err := os.ReadDir(servicedir)
		if err != nil {
			// Debian's script execs ls -1 here; say what ls says.
			if errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(e.Stderr, "ls: cannot access '%s': No such file or directory\n", servicedir)
			} else {
				fmt.Fprintf(e.Stderr, "ls: cannot open directory '%s': %s\n", servicedir, cli.ErrStr(err))
			}
			return 2
		}
		names := make([]string, 0, len(entries))
		for _, en := range entries {
			if !strings.HasPrefix(en.Name(), ".") {
				names = append(names, en.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintln(e.Stdout, n)
		}
		return 0
	}
	target, err := os.Readlink(servicedir + "/" + name)
	if err != nil {
		return c.err(e, "Service "+name+" not registered.")
	}
	fmt.Fprintf(e.Stdout, "%s -> %s\n", name, target)
	return 0
}

func (c *Config) add(e *cli.Env, servicedir, svdir, sv string) int {
	if c.Geteuid() != 0 {
		return c.fatal(e, c.Prog+" -a must be run by root.")
	}
	link := servicedir + "/" + sv
	if _, err := os.Stat(link); err == nil {
		target, err := os.Readlink(link)
		if err != nil {
			return c.fatal(e, link+" exists, but is not a symbolic link.")
		}
		if target != svdir {
			return c.fatal(e, link+" exists, but doesn't point to "+svdir+".")
		}
		fmt.Fprintf(e.Stdout, "Service %s already added.\n", sv)
		return 0
	}
	if supervised(svdir) {
		return c.fatal(e, svdir+" is currently controlled by a supervise(8) process.")
	}
	if strings.HasPrefix(svdir, c.EtcPrefix) {
		if err := c.moveState(svdir+"/supervise", c.StateDir+"/"+sv); err != nil {
			return c.fatal(e, err.Error())
		}
		if fi, err := os.Stat(svdir + "/log"); err == nil && fi.IsDir() {
			if err := c.moveState(svdir+"/log/supervise", c.StateDir+"/"+sv+".log"); err != nil {
				return c.fatal(e, err.Error())
			}
		}
	}
	if err := os.Symlink(svdir, link); err != nil {
		return c.fatal(e, "unable to link "+link+" to "+svdir+": "+cli.ErrStr(err))
	}
	fmt.Fprintf(e.Stdout, "Service %s added.\n", sv)
	return 0
}

// moveState replaces dir (unless it is already a symbolic link) with a
// symbolic link to state, and creates state so supervise finds it.
func (c *Config) moveState(dir, state string) error {
	if fi, err := os.Lstat(dir); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("unable to remove %s: %s", dir, cli.ErrStr(err))
	}
	if err := os.MkdirAll(state, 0o700); err != nil {
		return fmt.Errorf("unable to create %s: %s", state, cli.ErrStr(err))
	}
	if err := os.Symlink(state, dir); err != nil {
		return fmt.Errorf("unable to link %s to %s: %s", dir, state, cli.ErrStr(err))
	}
	return nil
}

func (c *Config) remove(e *cli.Env, servicedir, svdir, sv string) int {
	if c.Geteuid() != 0 {
		return c.fatal(e, c.Prog+" -r must be run by root.")
	}
	link := servicedir + "/" + sv
	if _, err := os.Stat(link); err != nil {
		return c.err(e, c.Prog+": warning: "+link+" does not exist.")
	}
	target, err := os.Readlink(link)
	if err != nil {
		return c.fatal(e, link+" is not a symbolic link.")
	}
	if target != svdir {
		return c.fatal(e, link+" does not point to "+svdir+".")
	}
	if err := os.Remove(link); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return c.fatal(e, "unable to remove "+link+": "+cli.ErrStr(err))
	}
	if c.Svc(e, "-dx", svdir) != 0 {
		return c.fatal(e, "Unable to send the service "+sv+" the down and exit commands.")
	}
	if fi, err := os.Stat(svdir + "/log"); err == nil && fi.IsDir() {
		if c.Svc(e, "-dx", svdir+"/log") != 0 {
			return c.fatal(e, "Unable to send the log service of "+sv+" the down and exit commands.")
		}
	}
	fmt.Fprintf(e.Stdout, "Service %s removed, the service daemon received the TERM and CONT signals.\n", sv)
	return 0
}

// supervised tells whether a supervise process holds dir/supervise/control
// open, the way svok asks: a non-blocking open for writing of the fifo
// succeeds only when it has a reader.
func supervised(dir string) bool {
	fd, err := syscall.Open(dir+"/supervise/control", syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	syscall.Close(fd)
	return true
}

func (c *Config) usage(e *cli.Env) int {
	return c.err(e, "Usage: "+c.Prog+" --add|--remove <service-directory> [<service-name>]\n"+
		"       "+c.Prog+" --list|--check [<service-name>]")
}

func (c *Config) fatal(e *cli.Env, msg string) int {
	return c.err(e, c.Prog+": fatal: "+msg)
}

// err prints msg and an empty line, as Debian's script does, and fails.
func (c *Config) err(e *cli.Env, msg string) int {
	io.WriteString(e.Stderr, msg+"\n\n")
	return exitFail
}

func getenv(e *cli.Env, key string) string {
	env := e.Environment()
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}
