// The ELF entry point of our binaries on linux/arm64, selected with the
// linker's -E option (see doc.go); the same as entry_linux_amd64.s. It runs
// before the Go runtime, with the kernel's initial stack: 0(RSP) is argc,
// 8(RSP) argv[0], and so on. RSP is left as it was for the runtime.

#include "go_asm.h"
#include "textflag.h"

#define SYS_fcntl	25
#define SYS_write	64
#define SYS_exit_group	94
#define SYS_execve	221
#define SYS_prlimit64	261
#define F_SETFD	2
#define FD_CLOEXEC	1

// GET(res, slot, bit, skip): read the limits of res into ·saved[slot]; when
// that worked set bit<<8 in ·raised, else branch to skip.
#define GET(res, slot, bit, skip) \
	MOVD	$0, R0; \
	MOVD	$res, R1; \
	MOVD	$0, R2; \
	MOVD	$·saved+(slot*16)(SB), R3; \
	MOVD	$SYS_prlimit64, R8; \
	SVC; \
	CBNZ	R0, skip; \
	MOVWU	·raised(SB), R9; \
	ORR	$(bit<<8), R9; \
	MOVW	R9, ·raised(SB)

// RAISE(res, slot, bit, skip): when the soft value read is below the hard
// one, set the soft value to the hard one, and set bit in ·raised when that
// worked; skip is the label that follows.
#define RAISE(res, slot, bit, skip) \
	MOVD	·saved+(slot*16)(SB), R4; \
	MOVD	·saved+(slot*16+8)(SB), R5; \
	CMP	R5, R4; \
	BEQ	skip; \
	MOVD	R5, ·scratch+0(SB); \
	MOVD	R5, ·scratch+8(SB); \
	MOVD	$0, R0; \
	MOVD	$res, R1; \
	MOVD	$·scratch(SB), R2; \
	MOVD	$0, R3; \
	MOVD	$SYS_prlimit64, R8; \
	SVC; \
	CBNZ	R0, skip; \
	MOVWU	·raised(SB), R9; \
	ORR	$bit, R9; \
	MOVW	R9, ·raised(SB)

TEXT svbridge_rt0(SB),NOSPLIT|NOFRAME,$0
	// The restoring trampoline: argv[0] is "svbridge-rlimit" (16 bytes
	// with its NUL; the strings of the initial stack are followed by
	// more, so reading 16 bytes is safe).
	MOVD	8(RSP), R1
	MOVD	0(R1), R2
	MOVD	$const_magicLo, R3
	CMP	R3, R2
	BNE	start
	MOVD	8(R1), R2
	MOVD	$const_magicHi, R3
	CMP	R3, R2
	BNE	start
	B	trampoline

start:
	MOVW	$1, R9
	MOVW	R9, ·started(SB)
	GET(const_resAS, 0, 1, data)
	RAISE(const_resAS, 0, 1, data)
data:
	GET(const_resDATA, 1, 2, nproc)
	RAISE(const_resDATA, 1, 2, nproc)
nproc:
	// RLIMIT_NPROC too: the runtime starts threads, and "softlimit -p 1"
	// would leave it none.
	GET(const_resNPROC, 3, 8, nofile)
	RAISE(const_resNPROC, 3, 8, nofile)
nofile:
	// RLIMIT_NOFILE is only read: the runtime raises it itself, and
	// restores it in the programs it executes.
	GET(const_resNOFILE, 2, 4, check)
check:
	// Too little even with the hard limits? Only a limit that was read
	// is checked.
	MOVWU	·raised(SB), R9
	TBZ	$8, R9, checkDATA
	MOVD	·saved+8(SB), R4
	MOVD	$const_MinAS, R5
	CMP	R5, R4
	BLO	toolow
checkDATA:
	TBZ	$9, R9, go
	MOVD	·saved+24(SB), R4
	MOVD	$const_MinDATA, R5
	CMP	R5, R4
	BLO	toolow
go:
	B	_rt0_arm64_linux(SB)

toolow:
	// "NAME: fatal: unable to start: ...", NAME being argv[0]'s last
	// element, then exit 111 as daemontools' temporary failures do.
	MOVD	8(RSP), R1
	MOVD	R1, R6	// start of the last element
loop:
	MOVBU	(R1), R2
	CBZ	R2, done
	ADD	$1, R1
	CMP	$'/', R2
	BNE	loop
	MOVD	R1, R6
	B	loop
done:
	SUB	R6, R1, R2	// length
	MOVD	R6, R1
	MOVD	$2, R0
	MOVD	$SYS_write, R8
	SVC
	MOVD	$2, R0
	MOVD	·tooLow+0(SB), R1
	MOVD	·tooLow+8(SB), R2
	MOVD	$SYS_write, R8
	SVC
	MOVD	$111, R0
	MOVD	$SYS_exit_group, R8
	SVC
	UNDEF

trampoline:
	// argv: "svbridge-rlimit" AS DATA NPROC FD PATH ARGV0 ARGV1...; AS,
	// DATA, NPROC and FD in hex. Set the soft limits of RLIMIT_AS,
	// RLIMIT_DATA and RLIMIT_NPROC, mark FD close-on-exec, exec PATH; on
	// failure write the errno (8 bytes) to FD and exit 127.
	MOVD	0(RSP), R2
	CMP	$7, R2
	BLO	bad
	MOVD	16(RSP), R1
	BL	hex<>(SB)
	MOVD	R0, ·scratch+0(SB)
	MOVD	$const_resAS, R1
	BL	setsoft<>(SB)
	MOVD	24(RSP), R1
	BL	hex<>(SB)
	MOVD	R0, ·scratch+0(SB)
	MOVD	$const_resDATA, R1
	BL	setsoft<>(SB)
	MOVD	32(RSP), R1
	BL	hex<>(SB)
	MOVD	R0, ·scratch+0(SB)
	MOVD	$const_resNPROC, R1
	BL	setsoft<>(SB)
	MOVD	40(RSP), R1
	BL	hex<>(SB)
	MOVD	R0, R19	// FD
	MOVD	$F_SETFD, R1
	MOVD	$FD_CLOEXEC, R2
	MOVD	$SYS_fcntl, R8
	SVC
	MOVD	48(RSP), R0	// PATH
	ADD	$56, RSP, R1	// ARGV0...
	MOVD	0(RSP), R2
	LSL	$3, R2, R2
	ADD	$16, R2, R2
	MOVD	RSP, R3
	ADD	R3, R2, R2	// envp: after argv's NULL
	MOVD	$SYS_execve, R8
	SVC
	NEG	R0, R0
	MOVD	R0, ·scratch+0(SB)
	MOVD	R19, R0
	MOVD	$·scratch(SB), R1
	MOVD	$8, R2
	MOVD	$SYS_write, R8
	SVC
	MOVD	$127, R0
	MOVD	$SYS_exit_group, R8
	SVC
	UNDEF
bad:
	MOVD	$127, R0
	MOVD	$SYS_exit_group, R8
	SVC
	UNDEF

// hex<> parses the NUL-terminated hex string at R1 into R0.
TEXT hex<>(SB),NOSPLIT|NOFRAME,$0
	MOVD	$0, R0
hloop:
	MOVBU	(R1), R2
	CBZ	R2, hdone
	ADD	$1, R1
	LSL	$4, R0, R0
	CMP	$'a', R2
	BLO	hdigit
	SUB	$('a'-10), R2, R2
	ORR	R2, R0, R0
	B	hloop
hdigit:
	SUB	$'0', R2, R2
	ORR	R2, R0, R0
	B	hloop
hdone:
	RET

// setsoft<> sets the soft limit of resource R1 to ·scratch+0, keeping the
// hard one (read into ·scratch+16).
TEXT setsoft<>(SB),NOSPLIT|NOFRAME,$0
	MOVD	R1, R20
	MOVD	$0, R0
	MOVD	$0, R2
	MOVD	$·scratch+16(SB), R3
	MOVD	$SYS_prlimit64, R8
	SVC
	CBNZ	R0, sdone
	MOVD	·scratch+24(SB), R4
	MOVD	R4, ·scratch+8(SB)
	MOVD	$0, R0
	MOVD	R20, R1
	MOVD	$·scratch(SB), R2
	MOVD	$0, R3
	MOVD	$SYS_prlimit64, R8
	SVC
sdone:
	RET
