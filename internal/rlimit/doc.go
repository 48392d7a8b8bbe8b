// Package rlimit lets our Go programs start under the soft memory limits
// that daemontools' softlimit (or a shell's ulimit -S) sets, and gives the
// programs they execute exactly those limits.
//
// The Go runtime reserves its heap metadata before main runs: it needs
// about 700 MB of address space (RLIMIT_AS) and 40 MB of data segment
// (RLIMIT_DATA), where run scripts routinely set "softlimit -m 4000000" or
// "-d 300000" for C programs. softlimit lowers only the soft limits, and a
// process may raise its soft limits up to the hard ones. So our binaries
// are linked with an ELF entry point of their own, svbridge_rt0 (Go
// assembly, entry_linux_*.s, selected with the linker's option
//
//	-ldflags=-E=svbridge_rt0
//
// which packaging/build, .ci/test, internal/testbin and the benchmarks
// pass). Before the runtime starts, it reads RLIMIT_AS, RLIMIT_DATA,
// RLIMIT_NPROC and RLIMIT_NOFILE, raises the soft RLIMIT_AS, RLIMIT_DATA and
// RLIMIT_NPROC to the hard values (the runtime starts threads, which
// "softlimit -p" would forbid), keeps the originals (Original) and jumps to
// the runtime's entry. RLIMIT_STACK needs nothing: the programs start
// under the same "softlimit -s" values as daemontools'.
// When even a hard limit is below MinAS or MinDATA it prints
// "NAME: fatal: unable to start: hard memory limit too low for the Go
// runtime" (NAME being argv[0]'s last element) and exits 111, where the
// runtime would crash. A binary built without the option (go run, a plain
// go build) works as before, without any of this: Started is false, and
// Exec, ForkExec and Command change nothing.
//
// Every exec puts the original limits back:
//
//   - Exec (the chain loaders' last step) converts its arguments, then, in
//     a window with raw system calls and no allocation, sets the soft
//     RLIMIT_AS, RLIMIT_DATA, RLIMIT_NPROC and RLIMIT_NOFILE back (the
//     runtime raises the last one itself) and the limits asked for
//     (softlimit's), and calls execve; if that fails, the limits are put
//     back as they were. (syscall.Exec would allocate after the limits
//     were lowered: softlimit -m 100000000 used to die with "fatal error:
//     runtime: out of memory" about once in 100 runs.)
//
//   - A fork and exec (supervise starting ./run, svscan starting
//     supervise, fghack, multilog's processor, svscanboot) cannot do that:
//     the runtime's child runs no code of ours between fork and exec, and
//     lowering the limits in the parent around the fork would starve the
//     parent's other threads. So, only when the stub raised a limit,
//     ForkExec and Command start the child as /proc/self/exe (this very
//     binary, even after an upgrade replaced the file) with argv
//     "svbridge-rlimit AS DATA NPROC FD PATH ARGV...". The entry stub sees
//     that argv[0] and, without starting the runtime, sets the soft
//     RLIMIT_AS, RLIMIT_DATA and RLIMIT_NPROC to AS, DATA and NPROC (hex;
//     the runtime's child has already put RLIMIT_NOFILE back), marks FD
//     close-on-exec and execs PATH with ARGV and the environment. If that
//     exec fails it writes the errno to FD (a pipe whose other end the
//     parent reads) and exits 127, and ForkExec returns that error as
//     syscall.ForkExec would. The child's descriptors are those it would
//     have had: FD is numbered above every inherited one and closed at the
//     exec. The cost is one more exec of a static binary that runs a few
//     system calls. Without /proc the child gets the raised limits.
//
// The kernel maps the whole executable under the caller's limits at exec,
// before the stub runs, so a binary must be small enough for the limit: the
// lean supervise binary (about 3.1 MB mapped and 290 kB of data and bss)
// runs under "softlimit -m 4000000" and "-d 300000", the multi-call
// svbridge (4 MB) does not. So every daemontools name is the lean binary's,
// and svscan, which runs from svbridge, starts there: once its stub has
// raised the limits, Handoff execs svbridge keeping them raised and passes
// the original soft limits in HandoffVar; svbridge's main takes them
// (Inherit) and gives them to what it starts, as if its own stub had
// raised them.
//
// What still differs from daemontools' C programs: with a hard limit below MinAS or MinDATA the programs refuse to start; a
// fork in the parent counts against the raised RLIMIT_NPROC, not the
// original one; and the runtime raises RLIMIT_NOFILE for the program's own
// use, so "softlimit -o 5" does not make our programs run out of
// descriptors where daemontools' do.
package rlimit
