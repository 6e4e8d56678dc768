"""A program on a pseudo-terminal, for the tests that drive cdbg's REPL (or gdb, as the reference)
the way a user at a terminal does: keys in, output matched. Every wait is for output or a process
state, with a timeout, so a hang fails the test instead of hanging it. Checks print "ok: WHAT" or
"FAIL: WHAT" lines, which lib.sh's td_pty_drive turns into the test's checks; on a failure,
finish() prints the end of the transcript."""
import codecs, os, pty, re, select, signal, sys, termios, time

# colour and cursor sequences, keypad mode, bracketed paste: what a line editor adds
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]")


class Pty:
    def __init__(self, argv, home):
        env = dict(os.environ, HOME=home, TERM="xterm")
        self.child, self.fd = pty.fork()
        if self.child == 0:
            os.execve(argv[0], argv, env)
        self.transcript = b""
        self.pending = ""  # output not yet consumed by expect()
        # incremental: a read may end inside a UTF-8 sequence (the bullets and dashes cdbg prints)
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.failed = False
        self.match = None  # the last expect()'s match

    def ok(self, what):
        print("ok: " + what, flush=True)

    def fail(self, what):
        self.failed = True
        print("FAIL: " + what, flush=True)

    def text(self):
        return self.transcript.decode("utf-8", "replace")

    def read_some(self, timeout):
        """Reads what is there within timeout; False once the terminal is closed (EIO: exited)."""
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return True
        try:
            d = os.read(self.fd, 65536)
        except OSError:
            return False
        if not d:
            return False
        self.transcript += d
        self.pending += ANSI.sub("", self.decoder.decode(d)).replace("\r", "")
        return True

    def expect(self, pattern, what, timeout=30, flags=re.S):
        """Consumes output up to the end of the first match of pattern and returns the consumed
        text (the match in self.match); None, and a failed check, when it does not come."""
        end = time.time() + timeout
        while True:
            m = re.search(pattern, self.pending, flags)
            if m:
                text, self.pending = self.pending[:m.end()], self.pending[m.end():]
                self.match = m
                self.ok(what)
                return text
            if time.time() >= end or not self.read_some(min(0.1, max(0, end - time.time()))):
                if re.search(pattern, self.pending, flags):
                    continue
                self.fail("%s: no /%s/ in %r" % (what, pattern, self.pending[-400:]))
                self.match = None
                return None

    def wait_raw(self, timeout=10):
        """Waits until the line editor has put the terminal in its own (non-canonical) mode. It
        prints the prompt a moment before: a ^D typed in between is the cooked mode's end-of-file,
        which the mode switch turns into a NUL byte."""
        end = time.time() + timeout
        while time.time() < end and termios.tcgetattr(self.fd)[3] & termios.ICANON:
            time.sleep(0.005)

    def prompt(self, what, pattern=r"\(cdbg\) $"):
        r = self.expect(pattern, what)
        self.wait_raw()
        return r

    def key(self, k):
        os.write(self.fd, k.encode() if isinstance(k, str) else k)

    def wait_exit(self, what, timeout=30, status=0):
        """Waits for the program to exit; with status=None any exit passes."""
        end = time.time() + timeout
        while time.time() < end:
            p, st = os.waitpid(self.child, os.WNOHANG)
            if p == self.child:
                if status is None or (os.WIFEXITED(st) and os.WEXITSTATUS(st) == status):
                    self.ok(what)
                else:
                    self.fail("%s: status %r" % (what, st))
                return st
            self.read_some(0.05)
        self.fail("%s: the program did not exit" % what)
        os.kill(self.child, signal.SIGKILL)
        os.waitpid(self.child, 0)
        return None

    def finish(self, tail=None):
        if self.failed:
            t = self.text()
            print("---- transcript ----\n" + (t[-tail:] if tail else t) + "\n----")


class Repl(Pty):
    """The driver of a test that puts cdbg and gdb (its reference) through the same session, run as
    `python3 DRIVER WHO ARGV...` by td_pty_drive: ARGV (cdbg or gdb, WHO says which) on a pty with
    HOME=$TD_HOME. prompt() waits for WHO's prompt; line() types a line and waits for the next."""
    PROMPTS = {"cdbg": r"\(cdbg\) $", "gdb": r"\(gdb\) $"}

    def __init__(self):
        self.who = sys.argv[1]
        super().__init__(sys.argv[2:], os.environ["TD_HOME"])

    def prompt(self, what, pattern=None):
        return super().prompt(what, pattern or self.PROMPTS[self.who]) or ""

    def line(self, s, what):
        self.key(s.encode() + b"\r")
        return self.prompt(what)


def proc_status(pid):
    """/proc/PID/status as a dict, None when the process is gone."""
    try:
        s = open("/proc/%d/status" % pid).read()
    except OSError:
        return None
    return dict(re.findall(r"^(\w+):\s*(.*)$", s, re.M))
