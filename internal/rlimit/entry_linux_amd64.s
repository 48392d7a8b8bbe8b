// The ELF entry point of our binaries on linux/amd64, selected with the
// linker's -E option (see doc.go). It runs before the Go runtime, with the
// kernel's initial stack: 0(SP) is argc, 8(SP) argv[0], and so on.

#include "go_asm.h"
#include "textflag.h"

#define SYS_write	1
#define SYS_execve	59
#define SYS_fcntl	72
#define SYS_exit_group	231
#define SYS_prlimit64	302
#define F_SETFD	2
#define FD_CLOEXEC	1

// GET(res, slot, bit): read the limits of res into ·saved[slot] and, when
// that worked, set bit<<8 in ·raised. On failure, jump ahead past RAISE.
// RAISE(res, slot, bit): when the soft value read is below the hard one,
// set the soft value to the hard one, and set bit in ·raised when that
// worked. Both clobber AX, BX, CX, DX, SI, DI, R10, R11.
#define GET(res, slot, bit) \
	XORL	DI, DI; \
	MOVL	$res, SI; \
	XORL	DX, DX; \
	LEAQ	·saved+(slot*16)(SB), R10; \
	MOVL	$SYS_prlimit64, AX; \
	SYSCALL; \
	CMPQ	AX, $0; \
	JNE	16(PC); \
	ORL	$(bit<<8), ·raised(SB)

#define RAISE(res, slot, bit) \
	MOVQ	·saved+(slot*16+8)(SB), BX; \
	CMPQ	·saved+(slot*16)(SB), BX; \
	JEQ	12(PC); \
	MOVQ	BX, ·scratch+0(SB); \
	MOVQ	BX, ·scratch+8(SB); \
	XORL	DI, DI; \
	MOVL	$res, SI; \
	LEAQ	·scratch(SB), DX; \
	XORL	R10, R10; \
	MOVL	$SYS_prlimit64, AX; \
	SYSCALL; \
	CMPQ	AX, $0; \
	JNE	2(PC); \
	ORL	$bit, ·raised(SB)

TEXT svbridge_rt0(SB),NOSPLIT|NOFRAME,$0
	// The restoring trampoline: argv[0] is "svbridge-rlimit" (16 bytes
	// with its NUL; the strings of the initial stack are followed by
	// more, so reading 16 bytes is safe).
	MOVQ	8(SP), SI
	MOVQ	0(SI), AX
	MOVQ	$const_magicLo, BX
	CMPQ	AX, BX
	JNE	start
	MOVQ	8(SI), AX
	MOVQ	$const_magicHi, BX
	CMPQ	AX, BX
	JNE	start
	JMP	trampoline

start:
	MOVL	$1, ·started(SB)
	GET(const_resAS, 0, 1)
	RAISE(const_resAS, 0, 1)
	GET(const_resDATA, 1, 2)
	RAISE(const_resDATA, 1, 2)
	// RLIMIT_NPROC too: the runtime starts threads, and "softlimit -p 1"
	// would leave it none.
	GET(const_resNPROC, 3, 8)
	RAISE(const_resNPROC, 3, 8)
	// RLIMIT_NOFILE is only read: the runtime raises it itself, and
	// restores it in the programs it executes.
	XORL	DI, DI
	MOVL	$const_resNOFILE, SI
	XORL	DX, DX
	LEAQ	·saved+32(SB), R10
	MOVL	$SYS_prlimit64, AX
	SYSCALL
	CMPQ	AX, $0
	JNE	2(PC)
	ORL	$(4<<8), ·raised(SB)
	// Too little even with the hard limits? Only a limit that was read
	// is checked.
	MOVL	·raised(SB), AX
	TESTL	$(1<<8), AX
	JEQ	checkDATA
	MOVQ	·saved+8(SB), BX
	MOVQ	$const_MinAS, CX
	CMPQ	BX, CX
	JCS	toolow
checkDATA:
	MOVL	·raised(SB), AX
	TESTL	$(2<<8), AX
	JEQ	go
	MOVQ	·saved+24(SB), BX
	MOVQ	$const_MinDATA, CX
	CMPQ	BX, CX
	JCS	toolow
go:
	JMP	_rt0_amd64_linux(SB)

toolow:
	// "NAME: fatal: unable to start: ...", NAME being argv[0]'s last
	// element, then exit 111 as daemontools' temporary failures do.
	MOVQ	8(SP), SI
	MOVQ	SI, DI	// start of the last element
	MOVQ	SI, CX
loop:
	MOVBLZX	0(CX), AX
	CMPL	AX, $0
	JEQ	done
	INCQ	CX
	CMPL	AX, $'/'
	JNE	loop
	MOVQ	CX, DI
	JMP	loop
done:
	MOVQ	CX, DX
	SUBQ	DI, DX	// length
	MOVQ	DI, SI
	MOVL	$2, DI
	MOVL	$SYS_write, AX
	SYSCALL
	MOVL	$2, DI
	MOVQ	·tooLow+0(SB), SI
	MOVQ	·tooLow+8(SB), DX
	MOVL	$SYS_write, AX
	SYSCALL
	MOVL	$111, DI
	MOVL	$SYS_exit_group, AX
	SYSCALL
	INT	$3

trampoline:
	// argv: "svbridge-rlimit" AS DATA NPROC FD PATH ARGV0 ARGV1...; AS,
	// DATA, NPROC and FD in hex. Set the soft limits of RLIMIT_AS,
	// RLIMIT_DATA and RLIMIT_NPROC, mark FD close-on-exec, exec PATH; on
	// failure write the errno (8 bytes) to FD and exit 127.
	MOVQ	0(SP), AX
	CMPQ	AX, $7
	JCS	bad
	MOVQ	16(SP), SI
	CALL	hex<>(SB)
	MOVQ	AX, ·scratch+0(SB)
	MOVL	$const_resAS, SI
	CALL	setsoft<>(SB)
	MOVQ	24(SP), SI
	CALL	hex<>(SB)
	MOVQ	AX, ·scratch+0(SB)
	MOVL	$const_resDATA, SI
	CALL	setsoft<>(SB)
	MOVQ	32(SP), SI
	CALL	hex<>(SB)
	MOVQ	AX, ·scratch+0(SB)
	MOVL	$const_resNPROC, SI
	CALL	setsoft<>(SB)
	MOVQ	40(SP), SI
	CALL	hex<>(SB)
	MOVQ	AX, R12	// FD
	MOVQ	R12, DI
	MOVL	$F_SETFD, SI
	MOVL	$FD_CLOEXEC, DX
	MOVL	$SYS_fcntl, AX
	SYSCALL
	MOVQ	48(SP), DI	// PATH
	LEAQ	56(SP), SI	// ARGV0...
	MOVQ	0(SP), AX
	LEAQ	16(SP)(AX*8), DX	// envp: after argv's NULL
	MOVL	$SYS_execve, AX
	SYSCALL
	NEGQ	AX
	MOVQ	AX, ·scratch+0(SB)
	MOVQ	R12, DI
	LEAQ	·scratch(SB), SI
	MOVL	$8, DX
	MOVL	$SYS_write, AX
	SYSCALL
	MOVL	$127, DI
	MOVL	$SYS_exit_group, AX
	SYSCALL
	INT	$3
bad:
	MOVL	$127, DI
	MOVL	$SYS_exit_group, AX
	SYSCALL
	INT	$3

// hex<> parses the NUL-terminated hex string at SI into AX.
TEXT hex<>(SB),NOSPLIT|NOFRAME,$0
	XORQ	AX, AX
hloop:
	MOVBLZX	0(SI), BX
	CMPL	BX, $0
	JEQ	hdone
	INCQ	SI
	SHLQ	$4, AX
	CMPL	BX, $'a'
	JCS	hdigit
	SUBL	$('a'-10), BX
	ORQ	BX, AX
	JMP	hloop
hdigit:
	SUBL	$'0', BX
	ORQ	BX, AX
	JMP	hloop
hdone:
	RET

// setsoft<> sets the soft limit of resource SI to ·scratch+0, keeping the
// hard one (read into ·scratch+16).
TEXT setsoft<>(SB),NOSPLIT|NOFRAME,$0
	MOVQ	SI, R13
	XORL	DI, DI
	XORL	DX, DX
	LEAQ	·scratch+16(SB), R10
	MOVL	$SYS_prlimit64, AX
	SYSCALL
	CMPQ	AX, $0
	JNE	sdone
	MOVQ	·scratch+24(SB), BX
	MOVQ	BX, ·scratch+8(SB)
	XORL	DI, DI
	MOVQ	R13, SI
	LEAQ	·scratch(SB), DX
	XORL	R10, R10
	MOVL	$SYS_prlimit64, AX
	SYSCALL
sdone:
	RET
