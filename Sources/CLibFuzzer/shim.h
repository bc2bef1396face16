#ifndef CINDER_LIBFUZZER_SHIM_H
#define CINDER_LIBFUZZER_SHIM_H
/* libFuzzer's driver, for a program that keeps its own main (libFuzzer >= 12).
   Declared weak: in the normal build nothing provides it and the address is
   null; scripts/fuzz.sh links libclang_rt.fuzzer_no_main, which defines it. */
#include <stddef.h>
#include <stdint.h>

typedef int (*cinder_fuzz_callback)(const uint8_t *data, size_t size);

__attribute__((weak)) int LLVMFuzzerRunDriver(int *argc, char ***argv, cinder_fuzz_callback callback);

/* True when the binary was linked with libFuzzer. */
static inline int cinder_libfuzzer_linked(void) {
    return LLVMFuzzerRunDriver != NULL;
}

static inline int cinder_libfuzzer_run(int *argc, char ***argv, cinder_fuzz_callback callback) {
    return LLVMFuzzerRunDriver(argc, argv, callback);
}
#endif
