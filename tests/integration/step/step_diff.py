#!/usr/bin/env python3
"""Stepping, checked against gdb (issue 11).

Each case is a command sequence (next, step, stepi, nexti, until, advance, finish, with counts) run
from the program's start once under gdb (`gdb -nx -batch`, `start` first) and once under cdbg
(`cdbg --json run PROG --batch -ex ...`). After every command that moves the program, both sides
report where it stopped: (function, source file name, line, frame depth up to main, signal); the
two sequences must be equal. gdb's stops come from gdb's Python API (gdb_stops.py prints one JSON
line per stop), cdbg's from its JSON output and a `bt` after each stop.

The main -O0 cases also carry an expected sequence written by hand from the source (line markers
`/* @name */` in testdata/step/*.c*), checked against BOTH tools: a wrong cdbg and a wrong parser
of gdb's output both fail. At -O2 only the comparison with gdb is made.

Usage: step_diff.py [--opt O0|O2|all] [--case SUBSTR] [--variant SUBSTR] [--gdb-only] [-v]
  --gdb-only   run gdb only: print its sequences and check the hand-written ones against them
Environment: CDBG, TESTDATA, SRCROOT as for every integration test (tests/integration/lib.sh).
Exit status: 0 pass, 1 fail, 77 skip (a missing tool outside CI; CI=true makes it a failure).
"""
import argparse
import concurrent.futures
import json
import os
import re
import shlex
import subprocess
import sys

SRCROOT = os.environ.get("SRCROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../../.."))
CDBG = os.environ.get("CDBG") or os.path.join(SRCROOT, "build", "cdbg")
TESTDATA = os.environ.get("TESTDATA") or os.path.join(SRCROOT, "build", "testdata")
HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = int(os.environ.get("TD_CDBG_TIMEOUT", "120"))

# Commands that move the program: each one yields a stop (or an exit) in the sequence.
MOTION = {"start", "next", "n", "step", "s", "stepi", "si", "nexti", "ni", "until", "u", "advance",
          "finish", "stepout", "continue", "c"}

PROGS = {
    # name: (source file, variants: binary name -> (compiler, optimisation))
    "step": ("testdata/step/step.c", {"step_O0": ("gcc", "O0"), "step_clang_O0": ("clang", "O0"),
                                      "step_O2": ("gcc", "O2"), "step_clang_O2": ("clang", "O2"),
                                      "step_fp_O2": ("gcc", "O2")}),
    "stepcxx": ("testdata/step/stepcxx.cpp", {"stepcxx_O0": ("gcc", "O0"), "stepcxx_clang_O0": ("clang", "O0"),
                                              "stepcxx_O2": ("gcc", "O2"), "stepcxx_clang_O2": ("clang", "O2")}),
}

# Variants run for some cases only: gcc -O2 with a frame pointer (the sanitizer build's code) differs
# from plain -O2 in where gdb puts breakpoints and where `step` into a function stops.
VARIANT_CASES = {"step_fp_O2": {"main_next", "loop_step", "fib_step", "ptr_step", "inline_step", "libc_step",
                                "nodebug_stepi", "signal_handler_bp", "multiline_step", "fact_finish"}}


class Case:
    """cmds: commands after the start ("{@marker}" is replaced by the marker's line number).
    A command "print EXPR" is a probe: both sides print EXPR's value, compared as text.
    expect: {"gcc": [...], "clang": [...]} hand-checked sequences for the -O0 builds, the start
    stop first; "both" for one list that holds for gcc and clang. Entries:
      "func@marker#depth"  a stop in func on the marker's line with `depth` frames up to main
      "func@*#depth"       any line of a file that is not the program's source (libc)
      "*@*#depth"          any function outside the program's source
      "=VALUE"             a probe's value;  "exited:STATUS"  the program exited"""

    def __init__(self, name, prog, cmds, expect=None, opts=("O0", "O2")):
        self.name, self.prog, self.cmds, self.expect, self.opts = name, prog, cmds, expect or {}, opts


# How the -O0 expectations were derived (and why gcc's and clang's differ):
# - next/step stop at the first instruction of a line-table row of another line (is_stmt).
# - Returning into the caller: if the return address starts a row, the stop is there, on the call's
#   line (gcc emits a row after each call in main's `r += f();` lines); if not (mid-row: clang
#   never emits one, nor gcc in `int r = f();`), stepping goes on to the next line.
# - gdb drops a row of the same line as the previous one when that line has a non-zero
#   discriminator (gdb PR 17276): gcc gives every row of main from the `?:` on line @main_libc onwards
#   discriminator 4, so returns into lines @main_libc..@main_ml go on to the next line too.
# - clang gives a function's closing brace a row only when it has several returns (fact, fib):
#   elsewhere the epilogue belongs to the return line.
# - `until` does not stop on a line reached by jumping backwards (a lower pc): in a for loop at -O0
#   the i++ comes after the body in the code (reached forwards), the test is reached by a jump back.
# - until/advance LOCATION also stop when the current frame returns (at the return address, as
#   finish); until LOCATION stops only in the current frame, advance in any.
CASES = [
    # --- next: over every call in main (a signal handler runs during one of them), out of main
    Case("main_next", "step", ["next"] * 14, {
        "gcc": ["main@main_first#1", "main@main_loop#1", "main@main_fact#1", "main@main_fib#1", "main@main_ptr#1",
                "main@main_inline#1", "main@main_libc#1", "main@main_nodebug#1", "main@main_signal#1",
                "main@main_ml#1", "main@main_sink#1", "main@main_ret#1", "main@main_end#1",
                "__libc_start_call_main@*#3", "exited:0"],
        "clang": ["main@main_first#1", "main@main_loop#1", "main@main_fact#1", "main@main_fib#1", "main@main_ptr#1",
                  "main@main_inline#1", "main@main_libc#1", "main@main_nodebug#1", "main@main_signal#1",
                  "main@main_ml#1", "main@main_sink#1", "main@main_ret#1",
                  "__libc_start_call_main@*#3", "exited:0"]}),
    # a loop whose body calls add(): next never enters add; out of the function into main
    Case("loop_next", "step", ["tbreak loop_sum", "c"] + ["next"] * 14, {
        "gcc": ["main@main_first#1", "loop_sum@loop_init#2"] + ["loop_sum@loop_for#2", "loop_sum@loop_call#2"] * 5 + [
                "loop_sum@loop_for#2", "loop_sum@loop_ret#2", "loop_sum@loop_end#2", "main@main_loop#1"],
        "clang": ["main@main_first#1", "loop_sum@loop_init#2"] + ["loop_sum@loop_for#2", "loop_sum@loop_call#2"] * 5 + [
                  "loop_sum@loop_for#2", "loop_sum@loop_ret#2", "main@main_fact#1", "main@main_fib#1"]}),
    # step enters add() on each iteration and comes back into the loop (to the i++: the rest of
    # the call's line has no row of its own)
    Case("loop_step", "step", ["tbreak loop_sum", "c"] + ["step"] * 12, {
        "gcc": ["main@main_first#1", "loop_sum@loop_init#2", "loop_sum@loop_for#2", "loop_sum@loop_call#2",
                "add@add_body#3", "add@add_ret#3", "add@add_end#3", "loop_sum@loop_for#2", "loop_sum@loop_call#2",
                "add@add_body#3", "add@add_ret#3", "add@add_end#3", "loop_sum@loop_for#2", "loop_sum@loop_call#2"],
        "clang": ["main@main_first#1", "loop_sum@loop_init#2", "loop_sum@loop_for#2", "loop_sum@loop_call#2"] + [
                  "add@add_body#3", "add@add_ret#3", "loop_sum@loop_for#2", "loop_sum@loop_call#2"] * 2 + [
                  "add@add_body#3", "add@add_ret#3"]}),
    # until leaves the loop: it stops at the i++ (forwards), not at the body (backwards)
    Case("loop_until", "step", ["tbreak loop_sum", "c", "next", "next", "until", "until", "until", "u"], {
        "gcc": ["main@main_first#1", "loop_sum@loop_init#2", "loop_sum@loop_for#2", "loop_sum@loop_call#2",
                "loop_sum@loop_for#2", "loop_sum@loop_ret#2", "loop_sum@loop_end#2", "main@main_loop#1"],
        "clang": ["main@main_first#1", "loop_sum@loop_init#2", "loop_sum@loop_for#2", "loop_sum@loop_call#2",
                  "loop_sum@loop_for#2", "loop_sum@loop_ret#2", "main@main_fact#1", "main@main_fib#1"]}),
    # advance LOCATION: stops when the frame returns first (loop_sum never calls fact), then in
    # the deepest recursive call that reaches the location
    Case("advance", "step", ["advance {@loop_ret}", "advance fact", "advance fact", "advance {@fact_base}", "print n",
                             "advance {@main_sink}", "print n"], {"both": [
        "main@main_first#1", "loop_sum@loop_ret#2", "main@main_loop#1", "fact@fact_if#2", "fact@fact_base#6", "=1",
        "fact@fact_rec#5", "=2"]}),
    # until LOCATION stops there only in the current frame, fact(4): fact(3), fact(2) and fact(1)
    # pass the closing brace first; advance stops in fact(1)
    Case("until_loc", "step", ["tbreak fact", "c", "step", "step", "until {@fact_end}", "print n",
                               "until {@main_sink}", "print n"], {"both": [
        "main@main_first#1", "fact@fact_if#2", "fact@fact_rec#2", "fact@fact_if#3", "fact@fact_end#3", "=4",
        "fact@fact_rec#2", "=5"]}),
    Case("advance_recursion", "step", ["tbreak fact", "c", "step", "step", "advance {@fact_end}", "print n",
                                       "finish", "print n"], {"both": [
        "main@main_first#1", "fact@fact_if#2", "fact@fact_rec#2", "fact@fact_if#3", "fact@fact_end#6", "=1",
        "fact@fact_rec#5", "=2"]}),
    # recursion: step down three levels, finish back up one level at a time (never to main at once)
    Case("fact_finish", "step", ["tbreak fact", "c", "step", "step", "step", "step", "step", "print n",
                                 "finish", "print n", "finish", "print n", "next", "next"], {
        "gcc": ["main@main_first#1", "fact@fact_if#2", "fact@fact_rec#2", "fact@fact_if#3", "fact@fact_rec#3",
                "fact@fact_if#4", "fact@fact_rec#4", "=3", "fact@fact_rec#3", "=4", "fact@fact_rec#2", "=5",
                "fact@fact_end#2", "main@main_fact#1"],
        "clang": ["main@main_first#1", "fact@fact_if#2", "fact@fact_rec#2", "fact@fact_if#3", "fact@fact_rec#3",
                  "fact@fact_if#4", "fact@fact_rec#4", "=3", "fact@fact_rec#3", "=4", "fact@fact_rec#2", "=5",
                  "fact@fact_end#2", "main@main_fib#1"]}),
    # next over a recursive call: every deeper level reaches the same return address first; only
    # the frame next started in ends it
    Case("fact_next", "step", ["tbreak fact", "c", "next", "next", "print n", "next"], {
        "gcc": ["main@main_first#1", "fact@fact_if#2", "fact@fact_rec#2", "fact@fact_end#2", "=5", "main@main_fact#1"],
        "clang": ["main@main_first#1", "fact@fact_if#2", "fact@fact_rec#2", "fact@fact_end#2", "=5", "main@main_fib#1"]}),
    # a breakpoint inside the call next steps over stops it there; finish then goes up one level
    Case("fact_next_bp", "step", ["tbreak fact", "c", "break {@fact_base}", "next", "next", "print n", "finish",
                                  "print n", "next"], {"both": [
        "main@main_first#1", "fact@fact_if#2", "fact@fact_rec#2", "fact@fact_base#6", "=1", "fact@fact_rec#5", "=2",
        "fact@fact_end#5"]}),
    # two recursive calls on one line: finish returns between them, next then runs the second
    Case("fib_step", "step", ["tbreak fib", "c"] + ["step"] * 10 + ["finish", "finish", "next"], {"both": [
        "main@main_first#1", "fib@fib_if#2", "fib@fib_rec#2", "fib@fib_if#3", "fib@fib_rec#3",
        "fib@fib_if#4", "fib@fib_rec#4", "fib@fib_if#5", "fib@fib_rec#5", "fib@fib_if#6", "fib@fib_base#6",
        "fib@fib_end#6", "fib@fib_rec#5", "fib@fib_rec#4", "fib@fib_end#4"]}),
    # a call through a function pointer
    Case("ptr_step", "step", ["tbreak call_ptr", "c"] + ["step"] * 5, {
        "gcc": ["main@main_first#1", "call_ptr@ptr_call#2", "twice@twice_body#3", "twice@twice_end#3",
                "call_ptr@ptr_ret#2", "call_ptr@ptr_end#2", "main@main_ptr#1"],
        "clang": ["main@main_first#1", "call_ptr@ptr_call#2", "twice@twice_body#3", "call_ptr@ptr_ret#2",
                  "main@main_inline#1", "use_inline@inl_sq#2", "sq@sq_body#3"]}),
    Case("ptr_next", "step", ["tbreak call_ptr", "c", "next", "next", "next"], {
        "gcc": ["main@main_first#1", "call_ptr@ptr_call#2", "call_ptr@ptr_ret#2", "call_ptr@ptr_end#2",
                "main@main_ptr#1"],
        "clang": ["main@main_first#1", "call_ptr@ptr_call#2", "call_ptr@ptr_ret#2", "main@main_inline#1",
                  "main@main_libc#1"]}),
    # sq: static inline, a call at -O0 and inlined at -O2; cube: always_inline, an inlined frame at
    # -O0 too (its own function name, one frame deeper); after it the rest of its line (b = ...)
    Case("inline_step", "step", ["tbreak use_inline", "c"] + ["step"] * 9, {
        "gcc": ["main@main_first#1", "use_inline@inl_sq#2", "sq@sq_body#3", "sq@sq_end#3", "use_inline@inl_cube#2",
                "cube@cube_first#3", "cube@cube_second#3", "cube@cube_ret#3", "use_inline@inl_cube#2",
                "use_inline@inl_ret#2", "use_inline@inl_end#2"],
        "clang": ["main@main_first#1", "use_inline@inl_sq#2", "sq@sq_body#3", "use_inline@inl_cube#2",
                  "cube@cube_first#3", "cube@cube_second#3", "cube@cube_ret#3", "use_inline@inl_cube#2",
                  "use_inline@inl_ret#2", "main@main_libc#1", "use_libc@libc_arr#2"]}),
    Case("inline_next", "step", ["tbreak use_inline", "c", "next", "next", "next", "next"], {
        "gcc": ["main@main_first#1", "use_inline@inl_sq#2", "use_inline@inl_cube#2", "use_inline@inl_ret#2",
                "use_inline@inl_end#2", "main@main_inline#1"],
        "clang": ["main@main_first#1", "use_inline@inl_sq#2", "use_inline@inl_cube#2", "use_inline@inl_ret#2",
                  "main@main_libc#1", "main@main_nodebug#1"]}),
    # finish from a real call and from an inlined frame (runs to the end of the inlined range)
    Case("inline_finish", "step", ["tbreak use_inline", "c", "step", "finish", "next", "step", "step", "finish",
                                   "next"], {"both": [
        "main@main_first#1", "use_inline@inl_sq#2", "sq@sq_body#3", "use_inline@inl_sq#2", "use_inline@inl_cube#2",
        "cube@cube_first#3", "cube@cube_second#3", "use_inline@inl_cube#2", "use_inline@inl_ret#2"]}),
    # libc calls: next over them; step into strlen and printf (libc has line info with libc6-dbg)
    Case("libc_next", "step", ["tbreak use_libc", "c"] + ["next"] * 6, {
        "gcc": ["main@main_first#1", "use_libc@libc_arr#2", "use_libc@libc_strlen#2", "use_libc@libc_printf#2",
                "use_libc@libc_qsort#2", "use_libc@libc_ret#2", "use_libc@libc_end#2", "main@main_nodebug#1"],
        "clang": ["main@main_first#1", "use_libc@libc_arr#2", "use_libc@libc_strlen#2", "use_libc@libc_printf#2",
                  "use_libc@libc_qsort#2", "use_libc@libc_ret#2", "main@main_nodebug#1", "main@main_signal#1"]}),
    Case("libc_step", "step", ["tbreak use_libc", "c", "step", "step", "finish", "next", "step", "step", "step"], {
        "both": ["main@main_first#1", "use_libc@libc_arr#2", "use_libc@libc_strlen#2", "*@*#3",
                 "use_libc@libc_strlen#2", "use_libc@libc_printf#2", "*@*#3", "*@*#3", "*@*#3"]}),
    # qsort's callback has line info: a breakpoint there is hit inside libc; stepping out of it
    # walks through qsort's own lines
    Case("qsort_callback", "step", ["tbreak use_libc", "c", "tbreak cmp_int", "c", "next", "next", "next",
                                    "next", "finish", "finish", "next"], {
        "gcc": ["main@main_first#1", "use_libc@libc_arr#2", "cmp_int@cmp_body#*", "cmp_int@cmp_ret#*",
                "cmp_int@cmp_end#*", "*@*#*", "*@*#*", "*@*#*", "*@*#3", "use_libc@libc_ret#2"],
        "clang": ["main@main_first#1", "use_libc@libc_arr#2", "cmp_int@cmp_body#*", "cmp_int@cmp_ret#*",
                  "*@*#*", "*@*#*", "*@*#*", "*@*#*", "*@*#3", "use_libc@libc_ret#2"]}),
    Case("qsort_step", "step", ["tbreak use_libc", "c", "next", "next", "next", "step", "step", "step", "step"]),
    # code without line info: step steps over it (and over the callback it makes into add_one)
    Case("nodebug_step", "step", ["tbreak use_nodebug", "c"] + ["step"] * 4, {
        "gcc": ["main@main_first#1", "use_nodebug@nd_triple#2", "use_nodebug@nd_apply#2", "use_nodebug@nd_ret#2",
                "use_nodebug@nd_end#2", "main@main_signal#1"],
        "clang": ["main@main_first#1", "use_nodebug@nd_triple#2", "use_nodebug@nd_apply#2", "use_nodebug@nd_ret#2",
                  "main@main_signal#1", "use_signal@sig_install#2"]}),
    # stepi enters it, finish leaves it; step inside it runs to the next line with line info (the
    # callback, add_one)
    Case("nodebug_stepi", "step", ["tbreak use_nodebug", "c", "stepi 3", "stepi", "finish", "next", "stepi 4",
                                   "stepi", "step", "step"]),
    # a signal (SIGALRM: gdb's default is nostop, pass) raised during next: the handler runs and
    # stepping goes on
    Case("signal_next", "step", ["tbreak use_signal", "c", "next", "next", "next", "next"], {
        "gcc": ["main@main_first#1", "use_signal@sig_install#2", "use_signal@sig_raise#2", "use_signal@sig_ret#2",
                "use_signal@sig_end#2", "main@main_ml#1"],
        "clang": ["main@main_first#1", "use_signal@sig_install#2", "use_signal@sig_raise#2", "use_signal@sig_ret#2",
                  "main@main_ml#1", "main@main_sink#1"]}),
    # with a breakpoint in the handler next stops there, then steps back out through the signal
    # trampoline into raise's lines (libc) and back to the program
    Case("signal_handler_bp", "step", ["tbreak use_signal", "c", "break on_alarm", "next", "next", "next",
                                       "next", "next", "next", "next"], {
        "gcc": ["main@main_first#1", "use_signal@sig_install#2", "use_signal@sig_raise#2", "on_alarm@handler_body#*",
                "on_alarm@handler_end#*", "*@*#*", "*@*#*", "use_signal@sig_ret#2", "use_signal@sig_end#2"],
        "clang": ["main@main_first#1", "use_signal@sig_install#2", "use_signal@sig_raise#2", "on_alarm@handler_body#*",
                  "on_alarm@handler_end#*", "*@*#*", "*@*#*", "use_signal@sig_ret#2", "main@main_ml#1"]}),
    Case("signal_step", "step", ["tbreak use_signal", "c", "next", "step", "step", "finish", "next"]),
    # one statement over four lines with two calls: the line table goes back and forth (gcc puts
    # the first call on @ml_first and the second on @ml_third; clang puts each argument on its own
    # line and the `+` on @ml_second)
    Case("multiline_next", "step", ["tbreak multi_line", "c"] + ["next"] * 4, {
        "gcc": ["main@main_first#1", "multi_line@ml_first#2", "multi_line@ml_third#2", "multi_line@ml_first#2",
                "multi_line@ml_ret#2", "multi_line@ml_end#2"],
        "clang": ["main@main_first#1", "multi_line@ml_first#2", "multi_line@ml_second#2", "multi_line@ml_first#2",
                  "multi_line@ml_third#2", "multi_line@ml_fourth#2"]}),
    Case("multiline_step", "step", ["tbreak multi_line", "c"] + ["step"] * 12, {
        "gcc": ["main@main_first#1", "multi_line@ml_first#2", "add@add_body#3", "add@add_ret#3", "add@add_end#3",
                "multi_line@ml_third#2", "add@add_body#3", "add@add_ret#3", "add@add_end#3", "multi_line@ml_first#2",
                "multi_line@ml_ret#2", "multi_line@ml_end#2", "main@main_sink#1", "main@main_ret#1"],
        "clang": ["main@main_first#1", "multi_line@ml_first#2", "multi_line@ml_second#2", "multi_line@ml_first#2",
                  "add@add_body#3", "add@add_ret#3", "multi_line@ml_third#2", "multi_line@ml_fourth#2",
                  "multi_line@ml_third#2", "add@add_body#3", "add@add_ret#3", "multi_line@ml_second#2",
                  "multi_line@ml_first#2", "multi_line@ml_ret#2"]}),
    # counts: `next 3` is three nexts, `step 3` three steps
    Case("counts", "step", ["next 3", "step 2", "next 3", "step 3", "finish", "next 2"], {
        "gcc": ["main@main_first#1", "main@main_fib#1", "fib@fib_rec#2", "main@main_ptr#1", "twice@twice_end#3",
                "call_ptr@ptr_call#2", "call_ptr@ptr_end#2"],
        "clang": ["main@main_first#1", "main@main_fib#1", "fib@fib_rec#2", "main@main_inline#1",
                  "use_inline@inl_cube#2", "main@main_inline#1", "main@main_nodebug#1"]}),
    Case("counts_insn", "step", ["stepi 5", "nexti 3", "stepi 7", "nexti 2", "stepi 20", "next 2"]),
    # finish from frame 1 (selected with up) returns from that frame, not frame 0
    Case("finish_up", "step", ["tbreak add", "c", "up", "finish", "next"], {"both": [
        "main@main_first#1", "add@add_body#3", "main@main_loop#1", "main@main_fact#1"]}),
    # stepi through a function and out of it; nexti over a call, stepi into one
    Case("stepi_lines", "step", ["tbreak add", "c"] + ["stepi"] * 9 + ["nexti", "nexti"]),
    Case("nexti_main", "step", ["nexti"] * 5 + ["stepi 3", "stepi", "nexti 4", "finish"]),
    # C++: constructor (and its base's), operator, virtual call, destructor at the closing brace,
    # template, lambda (gdb names gcc's `operator()`, clang's `main::$_0::operator()`); next over a
    # call in which an exception is thrown and caught. Not stepped: the throw itself (gdb 13 here
    # loses control there and runs to the end: libgcc has no _Unwind_DebugHook symbol or probe).
    Case("cxx_step", "stepcxx", ["step"] * 26, {
        "gcc": ["main@main_scoped#1", "scoped@scoped_ctor#2", "Square::Square@sq_ctor#3", "Shape::Shape@shape_decl#4",
                "Square::Square@sq_ctor_body#3", "Square::Square@sq_ctor_end#3", "scoped@scoped_op#2",
                "Square::operator+=@sq_pluseq#3", "Square::operator+=@sq_pluseq_ret#3",
                "Square::operator+=@sq_pluseq_end#3", "scoped@scoped_area#2", "area_of@virt_call#3",
                "Square::area@sq_area#4", "Square::area@sq_area_end#4", "area_of@virt_end#3", "scoped@scoped_close#2",
                "Square::~Square@sq_dtor_open#3", "Square::~Square@sq_dtor_body#3", "Square::~Square@sq_dtor_end#3",
                "Shape::~Shape@shape_dtor#4", "scoped@scoped_ret#2", "scoped@scoped_end#2", "main@main_scoped#1",
                "main@main_tmpl#1", "biggest<int>@tmpl_body#2", "biggest<int>@tmpl_end#2", "main@main_tmpl#1"],
        "clang": ["main@main_scoped#1", "scoped@scoped_ctor#2", "Square::Square@sq_ctor#3", "Shape::Shape@shape_decl#4",
                  "Square::Square@sq_ctor_open#3", "Square::Square@sq_ctor#3", "Square::Square@sq_ctor_body#3",
                  "Square::Square@sq_ctor_end#3", "scoped@scoped_op#2", "Square::operator+=@sq_pluseq#3",
                  "Square::operator+=@sq_pluseq_ret#3", "scoped@scoped_area#2", "area_of@virt_call#3",
                  "Square::area@sq_area#4", "scoped@scoped_close#2", "Square::~Square@sq_dtor_open#3",
                  "Square::~Square@sq_dtor_body#3", "Square::~Square@sq_dtor_end#3", "Shape::~Shape@shape_dtor#4",
                  "scoped@scoped_ret#2", "main@main_tmpl#1", "biggest<int>@tmpl_body#2", "main@main_lambda_def#1",
                  "main@main_lambda_call#1", "operator()@main_lambda_def#2", "main@main_catch#1",
                  "catcher@catch_call#2"]}),
    Case("cxx_next", "stepcxx", ["next"] * 9, {
        "gcc": ["main@main_scoped#1", "main@main_tmpl#1", "main@main_lambda_def#1", "main@main_lambda_call#1",
                "main@main_catch#1", "main@main_sink#1", "main@main_ret#1", "main@main_end#1",
                "__libc_start_call_main@*#3", "exited:0"],
        "clang": ["main@main_scoped#1", "main@main_tmpl#1", "main@main_lambda_def#1", "main@main_lambda_call#1",
                  "main@main_catch#1", "main@main_sink#1", "main@main_ret#1", "__libc_start_call_main@*#3",
                  "exited:0"]}),
    Case("cxx_finish", "stepcxx", ["tbreak stepcxx.cpp:{@virt_call}", "c", "step", "finish", "finish", "next",
                                   "step", "finish", "next"]),
    Case("cxx_scope_next", "stepcxx", ["tbreak stepcxx.cpp:{@scoped_ctor}", "c", "next", "next", "next", "next",
                                       "next", "next"]),
]


def markers(prog):
    src = os.path.join(SRCROOT, PROGS[prog][0])
    m = {}
    with open(src) as f:
        for i, line in enumerate(f, 1):
            for name in re.findall(r"(?:/\*|//) @(\w+)(?: \*/)?\s*$", line):
                m[name] = i
    return m


def subst(cmd, mk):
    return re.sub(r"\{@(\w+)\}", lambda g: str(mk[g.group(1)]), cmd)


def kind(cmd):
    w = cmd.split()[0]
    if w == "print":
        return "probe"
    return "motion" if w in MOTION else "quiet"


def norm_func(name):
    """Names are compared as gdb would print them if it agreed with itself:
    - without a trailing parameter list or const (gdb names C++ frames Square::area, biggest<int>);
    - glibc's internal aliases as their C names: gdb prints the DW_AT_linkage_name of functions
      declared with an asm label (__GI_raise, __GI___qsort_r), cdbg their DW_AT_name (raise);
    - a lambda's call operator as operator(): gdb prints gcc's so, but qualifies clang's with its
      closure class (main::$_0::operator()).
    These are naming differences, reported apart, not stepping ones."""
    if name is None:
        return None
    if name.startswith("__GI_"):
        name = name[len("__GI_"):]
    if re.search(r"(\$_\d+|\{lambda\(.*\)#\d+\})::operator\(\)$", name):
        name = "operator()"
    name = re.sub(r"\s+const$", "", name)
    if name.endswith(")") and not name.endswith("operator()"):
        depth = 0
        for i in range(len(name) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(name[i], 0)
            if depth == 0:
                name = name[:i]
                break
    if name.endswith(")") and name.endswith("operator()()"):
        name = name[:-2]
    return name


def stop_key(d):
    """(function, file name, line, depth, signal) of one stop; ("exited", status); ("error",);
    ("value", text)."""
    if "value" in d:
        return ("value", d["value"])
    if "error" in d:
        return ("error", d["error"])
    if "exited" in d:
        return ("exited", d["exited"])
    f = d.get("file")
    return (norm_func(d.get("function")), os.path.basename(f) if f else None, d.get("line") or None,
            d.get("depth"), d.get("signal"))


def fmt(k):
    if k[0] == "value":
        return "=" + k[1]
    if k[0] == "exited":
        return "exited:%s" % k[1]
    if k[0] == "error":
        return "error: " + k[1][:70]
    s = "%s@%s:%s#%s" % k[:4]
    return s + (" " + k[4] if k[4] else "")


# --- gdb -------------------------------------------------------------------------------------------

def gdb_argv(exe, cmds):
    a = ["gdb", "-nx", "-batch", "-ex", "set debuginfod enabled off", "-ex", "set pagination off",
         "-ex", "set width 0", "-ex", "set confirm off", "-x", os.path.join(HERE, "gdb_stops.py"),
         "-ex", 'python stop_cmd("start", "motion")']
    for c in cmds:
        k = kind(c)
        arg = c[len("print "):] if k == "probe" else c
        a += ["-ex", "python stop_cmd(%s, %s)" % (json.dumps(arg), json.dumps(k))]
    return a + [exe]


def gdb_human(exe, cmds):
    return shlex.join(["gdb", "-nx", "-batch", "-ex", "start"] + [x for c in cmds for x in ("-ex", c)] + [exe])


def run_gdb(exe, cmds):
    p = subprocess.run(gdb_argv(exe, cmds), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=TIMEOUT, errors="replace")
    out = []
    for line in p.stdout.splitlines():
        i = line.find("@@STOP ")
        if i >= 0:
            out.append(json.loads(line[i + 7:]))
    return out, p.stdout + p.stderr


# --- cdbg ------------------------------------------------------------------------------------------

def cdbg_argv(exe, cmds):
    a = [CDBG, "--json", "run", exe, "--batch", "-ex", "bt"]
    for c in cmds:
        a += ["-ex", c]
        if kind(c) == "motion":
            a += ["-ex", "bt"]
    return a


def cdbg_human(exe, cmds):
    return shlex.join([CDBG, "run", exe, "--batch"] + [x for c in cmds for x in ("-ex", c)])


def depth_of(frames):
    n = 0
    for fr in frames:
        # tail-call frames are not counted, as gdb_stops.py does not count gdb's
        n += 0 if fr.get("tail_call") else 1
        if fr.get("function") == "main":
            break
    return n


def run_cdbg(exe, cmds):
    env = dict(os.environ)
    env.setdefault("CDBG_CACHE_DIR", os.path.join(os.path.dirname(CDBG), "test-debuginfo-cache"))
    p = subprocess.run(cdbg_argv(exe, cmds), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=TIMEOUT, errors="replace", env=env)
    objs = []
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            try:
                objs.append(json.loads(line))
            except ValueError:
                pass  # the program's own output on a line that happens to start with "{"
    # objs: run, bt, then per command its object (+ a bt after a motion)
    out = []
    it = iter(objs)

    def stop_of(o):
        if o is None:
            return {"error": "no output (cdbg ended)"}
        if "error" in o:
            return {"error": o["error"]}
        ev = o.get("event")
        if ev == "exited":
            return {"exited": o.get("status")}
        if ev == "killed":
            return {"error": "killed by signal %s" % o.get("signal")}
        fr = o.get("frame")
        if not fr:
            return {"error": "no frame in %s" % json.dumps(o)}
        d = {"function": fr.get("function"), "file": fr.get("file"), "line": fr.get("line")}
        if ev == "signal":
            sig = str(o.get("signal"))
            d["signal"] = sig if sig.startswith("SIG") else "SIG" + sig
        return d

    def with_depth(d):
        b = next(it, None)
        if "error" in d or "exited" in d:
            return d
        if b is None or "frames" not in b:
            d["depth"] = None
        else:
            d["depth"] = depth_of(b["frames"])
        return d

    out.append(with_depth(stop_of(next(it, None))))
    for c in cmds:
        k = kind(c)
        if out and ("exited" in out[-1] or "error" in out[-1]):
            break
        o = next(it, None)
        if k == "motion":
            out.append(with_depth(stop_of(o)))
        elif k == "probe":
            if o is None or "error" in o:
                out.append({"error": (o or {}).get("error", "no output")})
            elif isinstance(o.get("value"), dict) and o["value"].get("optimized_out"):
                out.append({"value": "<optimized out>"})
            else:
                out.append({"value": str(o.get("value"))})
        elif o is not None and "error" in o:
            out.append({"error": "%s: %s" % (c, o["error"])})
    return out, p.stdout + p.stderr


# --- comparison ------------------------------------------------------------------------------------

def expect_keys(entries, mk, srcbase):
    keys = []
    for e in entries:
        if e.startswith("="):
            keys.append(("value", e[1:]))
        elif e.startswith("exited:"):
            keys.append(("exited", int(e[7:])))
        else:
            m = re.fullmatch(r"([^@]+)@([\w*]+)#(\d+|\*)", e)
            if not m:
                raise SystemExit("bad expectation %r" % e)
            fn, mark, depth = m.groups()
            line = None if mark == "*" else mk[mark]
            keys.append((fn, mark, line, None if depth == "*" else int(depth), srcbase))
    return keys


def matches(exp, got):
    """exp: an expect_keys entry; got: a stop_key."""
    if exp[0] in ("value", "exited"):
        return exp == got
    fn, mark, line, depth, srcbase = exp
    if len(got) != 5 or got[4] is not None:
        return False
    if fn != "*" and got[0] != fn:
        return False
    if depth is not None and got[3] != depth:
        return False
    if mark == "*":
        return got[1] != srcbase
    return got[1] == srcbase and got[2] == line


def same(a, b):
    """Two stops are the same; two errors are, whatever their messages (gdb's and cdbg's words differ)."""
    return a == b or (a[0] == "error" and b[0] == "error")


def cut_at_end(keys):
    """Nothing after the program exited or a command failed is compared: gdb goes on with
    "The program is not being run." for every later command, cdbg's script stops."""
    for i, k in enumerate(keys):
        if k[0] in ("exited", "error"):
            return keys[:i + 1]
    return keys


def table(rows, headers):
    w = [max(len(str(r[i])) for r in rows + [headers]) for i in range(len(headers))]
    lines = ["  " + "  ".join(str(h).ljust(w[i]) for i, h in enumerate(headers))]
    for r in rows:
        lines.append("  " + "  ".join(str(c).ljust(w[i]) for i, c in enumerate(r)))
    return "\n".join(lines)


def run_one(case, variant, compiler, gdb_only):
    exe = os.path.join(TESTDATA, "step", variant)
    mk = markers(case.prog)
    cmds = [subst(c, mk) for c in case.cmds]
    labels = ["start"] + [c for c in cmds if kind(c) != "quiet"]
    srcbase = os.path.basename(PROGS[case.prog][0])
    problems = []
    report = []
    g, graw = run_gdb(exe, cmds)
    gk = cut_at_end([stop_key(d) for d in g])
    if len(g) != len(labels):
        problems.append("gdb printed %d stops for %d commands that stop (gdb output below)" % (len(g), len(labels)))
    exp = None
    opt = PROGS[case.prog][1][variant][1]
    if opt == "O0":
        exp = case.expect.get(compiler) or case.expect.get("both")
    if exp:
        ek = expect_keys(exp, mk, srcbase)
        bad = [i for i in range(max(len(ek), len(gk)))
               if i >= len(ek) or i >= len(gk) or not matches(ek[i], gk[i])]
        if bad:
            problems.append("gdb differs from the hand-checked sequence at stop %d (after `%s`): "
                            "the expectation or gdb_stops.py is wrong" % (bad[0], labels[min(bad[0], len(labels) - 1)]))
    ck = None
    craw = ""
    if not gdb_only:
        c, craw = run_cdbg(exe, cmds)
        ck = cut_at_end([stop_key(d) for d in c])
        n = max(len(gk), len(ck))
        bad = [i for i in range(n) if i >= len(gk) or i >= len(ck) or not same(gk[i], ck[i])]
        if bad:
            problems.append("cdbg differs from gdb at stop %d (after `%s`)" % (bad[0], labels[min(bad[0], len(labels) - 1)]))
        if exp:
            bad = [i for i in range(max(len(ek), len(ck)))
                   if i >= len(ek) or i >= len(ck) or not matches(ek[i], ck[i])]
            if bad:
                problems.append("cdbg differs from the hand-checked sequence at stop %d (after `%s`)"
                                % (bad[0], labels[min(bad[0], len(labels) - 1)]))
    rows = []
    for i in range(max(len(gk), len(ck or []), len(exp or []))):
        r = [i, labels[i] if i < len(labels) else "", fmt(gk[i]) if i < len(gk) else "-"]
        if ck is not None:
            r.append(fmt(ck[i]) if i < len(ck) else "-")
        if exp:
            r.append(exp[i] if i < len(exp) else "-")
        r.append("<-- differs" if ck is not None and (i >= len(gk) or i >= len(ck) or not same(gk[i], ck[i])) else "")
        rows.append(r)
    heads = ["#", "command", "gdb"] + (["cdbg"] if ck is not None else []) + (["expected"] if exp else []) + [""]
    report.append(table(rows, heads))
    report.append("  reproduce: " + gdb_human(exe, cmds))
    if not gdb_only:
        report.append("  reproduce: " + cdbg_human(exe, cmds))
    if problems:
        if any("gdb printed" in p or "gdb differs" in p for p in problems):
            report.append("  gdb output:\n" + "\n".join("    " + x for x in graw.splitlines()[-60:]))
        if craw and any("cdbg" in p for p in problems):
            report.append("  cdbg output:\n" + "\n".join("    " + x for x in craw.splitlines()[-40:]))
    return problems, "\n".join(report)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--opt", default="all", choices=["O0", "O2", "all"])
    ap.add_argument("--case", default="")
    ap.add_argument("--variant", default="")
    ap.add_argument("--gdb-only", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    a = ap.parse_args()
    ci = os.environ.get("CI") == "true"

    def skip(why):
        if ci:
            print("FAIL: %s (CI=true: CI has every tool the suite needs, so this test may not be skipped there)" % why)
            sys.exit(1)
        print("SKIP: " + why)
        sys.exit(77)

    if subprocess.run(["which", "gdb"], capture_output=True).returncode != 0:
        skip("gdb is not installed; it is the reference for stepping")
    jobs = []
    missing = []
    for case in CASES:
        if a.case and a.case not in case.name:
            continue
        for variant, (compiler, opt) in PROGS[case.prog][1].items():
            if a.opt != "all" and opt != a.opt:
                continue
            if opt not in case.opts or (a.variant and a.variant not in variant):
                continue
            if variant in VARIANT_CASES and case.name not in VARIANT_CASES[variant]:
                continue
            if not os.access(os.path.join(TESTDATA, "step", variant), os.X_OK):
                missing.append(variant)
                continue
            jobs.append((case, variant, compiler))
    if missing:
        if ci or any("clang" not in m for m in missing):
            print("FAIL: test programs not built: %s (under %s)" % (" ".join(sorted(set(missing))), TESTDATA))
            sys.exit(1)
        print("note: clang is not installed: the clang variants are not tested (%s)" % " ".join(sorted(set(missing))))
    if not jobs:
        print("FAIL: no case selected")
        sys.exit(1)
    fails = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        futs = [(j, ex.submit(run_one, j[0], j[1], j[2], a.gdb_only)) for j in jobs]
        for (case, variant, _), fu in futs:
            try:
                problems, rep = fu.result()
            except subprocess.TimeoutExpired as e:
                problems, rep = ["timed out after %ss: %s" % (TIMEOUT, shlex.join(e.cmd[:6]) + " ...")], ""
            name = "%s [%s]" % (case.name, variant)
            if problems:
                fails += 1
                print("FAIL: %s: %s" % (name, "; ".join(problems)))
                print(rep)
            else:
                print("ok: %s" % name)
                if a.verbose or a.gdb_only:
                    print(rep)
    print("step_diff: %d cases, %d failed" % (len(jobs), fails))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
