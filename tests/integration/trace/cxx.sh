#!/bin/bash
# C++ functions are traced by their demangled names and shown demangled, as bt shows them: a
# pattern matches the name without its parameter list (`^shop::Cart::add$`), the whole demangled
# name (`twice\(double\)`) or the symbol; the trace line and --list never show the mangled symbol.
. "$SRCROOT/tests/integration/lib.sh"
exe=$(td_bin trace_cxxnames)

td_cdbg out trace --list '^shop::Cart::add$' -- "$exe"
expect_status 0 "--list of a method by its qualified name"
expect_line '^shop::Cart::add	trace_cxxnames	.*cxxnames.cpp:10	0x[0-9a-f]+$' "$out"
expect_no_line '_Z' "$out"

td_cdbg out trace '^shop::Cart::add$' -- "$exe"
expect_status 0 "trace a method"
expect_line '^> shop::Cart::add\(this=\(shop::Cart \* const\) 0x[0-9a-f]+, k=0\) cxxnames.cpp:10 \[tid [0-9]+\]$' "$out"
expect_line '^> shop::Cart::add\(this=\(shop::Cart \* const\) 0x[0-9a-f]+, k=2\) cxxnames.cpp:10 \[tid [0-9]+\]$' "$out"
[ "$(grep -c '^> shop::Cart::add(' "$out")" = 3 ] && pass "3 calls of add" || fail "add calls: $(grep -c '^>' "$out")"

# one overload by its whole demangled name; both by the short one
td_cdbg out trace 'twice\(double\)' --ret -- "$exe"
expect_status 0 "trace one overload"
[ "$(grep -c '^> twice(x=' "$out")" = 3 ] && pass "3 calls of twice(double)" || fail "twice(double): $(grep -c '^> twice' "$out")"
expect_line '^> twice\(x=.*\) cxxnames.cpp:17 ' "$out"
expect_line '^< twice = 2 ' "$out"
td_cdbg out trace '^twice$' -- "$exe"
[ "$(grep -c '^> twice(x=' "$out")" = 6 ] && pass "both overloads by the short name" || fail "twice: $(grep -c '^> twice' "$out")"

# a template instance: its name as the demangler spells it
td_cdbg out trace 'largest' -- "$exe"
expect_status 0 "trace a template"
expect_line '^> int largest<int>\(a=0, b=1\) cxxnames.cpp:18 ' "$out"
expect_no_line '_Z' "$out"
expect_no_line '_Z' "$out.err"
td_finish
