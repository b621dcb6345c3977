/* sandbox.c: a policy rule of isolated.h as a seccomp rule.
 *
 * The components (component.c) and the launcher (launcher.c) each load a
 * default-deny filter once their set-up is over. Both say what they allow as
 * rules: a system call, as libseccomp names it, and a condition on its
 * arguments (CL_RULE_*). This is the one place that turns such a rule into
 * libseccomp's terms. A system call this machine does not have is nothing to
 * allow and is skipped.
 *
 * A build with AddressSanitizer (the tests build every service so, and run
 * it) needs more. Before every call that does not return (a trap, leaving),
 * the sanitizer's runtime asks for the alternate signal stack's settings,
 * sigaltstack(NULL, &old), which changes nothing. And a report, the reason
 * for such a build, is written only after the sanitizer has read the
 * process's name and memory map under /proc and, to name the functions of its
 * stack, the debugging information of the executable and its libraries:
 * opening files for reading, reading, closing, looking at them, and asking
 * whether standard error is a terminal. Every sandbox of such a build allows
 * that too (cl_sanitizer_rules), never writing, creating or executing; a
 * sandbox that refused it would end the process at the start of its report,
 * with the report unsaid. These rules are compiled in with the sanitizer:
 * no setting can relax the sandbox of any other build, and the tests check
 * every other build's sandbox as it is. The sanitizer's leak check at exit
 * would need far more (it stops the process's threads with ptrace), so the
 * sandboxed processes of such a build turn it off (component.c, launcher.c);
 * the unikernel and the projected builds, which run the same code
 * unsandboxed, check for leaks.
 */
#include <fcntl.h>
#include <seccomp.h>
#include <sys/mman.h>

#include "isolated.h"

#if CL_ASAN
const cl_policy_rule cl_sanitizer_rules[] = {
    {"sigaltstack", CL_RULE_QUERY_ONLY}, /* before a call that does not return */
    {"getpid", CL_RULE_ANY},             /* a report: "==PID==ERROR: ..." */
    {"readlink", CL_RULE_ANY},           /* /proc/self/exe */
    {"open", CL_RULE_READ_ONLY},         /* /proc/self/maps, cmdline, environ */
    {"openat", CL_RULE_READ_ONLY},       /* the libraries and their debugging information */
    {"read", CL_RULE_ANY},
    {"close", CL_RULE_ANY},
    {"fcntl", CL_RULE_ANY}, /* FD_CLOEXEC on what it opened */
    {"fstat", CL_RULE_ANY},
    {"newfstatat", CL_RULE_ANY},
    {"lseek", CL_RULE_ANY},
    {"ioctl", CL_RULE_DESCRIPTORS}, /* is standard error a terminal (colours) */
};
const int32_t cl_sanitizer_rule_count = sizeof cl_sanitizer_rules / sizeof cl_sanitizer_rules[0];
#else
const cl_policy_rule cl_sanitizer_rules[] = {{"", CL_RULE_ANY}};
const int32_t cl_sanitizer_rule_count = 0;
#endif

int cl_sandbox_allow(void *filter, const cl_policy_rule *rule, const int *descriptors, size_t count) {
    int number = seccomp_syscall_resolve_name(rule->system_call);
    if (number == __NR_SCMP_ERROR) return 0;
    switch (rule->argument) {
    case CL_RULE_DESCRIPTORS:
        for (size_t k = 0; k < count; k++) {
            struct scmp_arg_cmp own = {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = (scmp_datum_t)descriptors[k], .datum_b = 0};
            int failed = seccomp_rule_add_array(filter, SCMP_ACT_ALLOW, number, 1, &own);
            if (failed) return failed;
        }
        return 0;
    case CL_RULE_NO_EXEC: {
        struct scmp_arg_cmp no_exec = {.arg = 2, .op = SCMP_CMP_MASKED_EQ, .datum_a = PROT_EXEC, .datum_b = 0};
        return seccomp_rule_add_array(filter, SCMP_ACT_ALLOW, number, 1, &no_exec);
    }
    case CL_RULE_QUERY_ONLY: {
        struct scmp_arg_cmp null = {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = 0, .datum_b = 0};
        return seccomp_rule_add_array(filter, SCMP_ACT_ALLOW, number, 1, &null);
    }
    case CL_RULE_READ_ONLY: {
        /* The flags are open's second argument, openat's third. */
        struct scmp_arg_cmp read_only = {.arg = number == SCMP_SYS(open) ? 1 : 2, .op = SCMP_CMP_MASKED_EQ,
            .datum_a = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, .datum_b = O_RDONLY};
        return seccomp_rule_add_array(filter, SCMP_ACT_ALLOW, number, 1, &read_only);
    }
    default:
        return seccomp_rule_add(filter, SCMP_ACT_ALLOW, number, 0);
    }
}
