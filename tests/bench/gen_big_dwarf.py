#!/usr/bin/env python3
"""Writes a C program with large DWARF: N_FUNCS functions and N_STRUCTS struct types spread over
several files (one CU each), plus globals of those types. Usage: gen_big_dwarf.py OUTDIR"""
import os
import sys

N_FUNCS, N_STRUCTS, N_FILES = 3000, 1000, 20

def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "big.h"), "w") as h:
        h.write("#pragma once\n")
        for i in range(N_STRUCTS):
            prev = f"    struct s{i - 1} *prev;\n" if i else ""
            h.write(f"struct s{i} {{\n    int id;\n    long vals[{i % 7 + 1}];\n    char name[{8 + i % 5}];\n"
                    f"    double ratio;\n{prev}    unsigned flags : {i % 5 + 1};\n}};\n")
        for i in range(N_STRUCTS):
            h.write(f"extern struct s{i} g_s{i};\n")
        for i in range(N_FUNCS):
            h.write(f"int f{i}(int x);\n")
    per = N_FUNCS // N_FILES
    sper = N_STRUCTS // N_FILES
    for k in range(N_FILES):
        with open(os.path.join(out, f"part{k}.c"), "w") as c:
            c.write('#include "big.h"\n')
            for i in range(k * sper, (k + 1) * sper):
                c.write(f"struct s{i} g_s{i} = {{ .id = {i}, .name = \"s{i}\", .ratio = {i}.5 }};\n")
            for i in range(k * per, (k + 1) * per):
                s = i % N_STRUCTS
                c.write(f"int f{i}(int x) {{ struct s{s} local = g_s{s}; local.id += x; "
                        f"return local.id + (int)local.vals[0] + {i}; }}\n")
    with open(os.path.join(out, "main.c"), "w") as c:
        c.write('#include "big.h"\nint g_answer = 42;\n'
                "int main(void) { int t = 0; for (int i = 0; i < 10; i++) t += f0(i); return t == -1; }\n")

main()
