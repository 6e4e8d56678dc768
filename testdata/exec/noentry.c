/* noentry: no `main` symbol and an ELF entry point of 0 (linked with -nostdlib -Wl,-e,0).
 * Never meant to run past exec: `cdbg run` stops it right after exec, in ld.so's _start. */
void not_main(void);
void not_main(void)
{
    for (;;)
        ;
}
