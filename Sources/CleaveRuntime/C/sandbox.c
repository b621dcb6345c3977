/* sandbox.c: a policy rule of isolated.h as a seccomp rule.
 *
 * The components (component.c) and the launcher (launcher.c) each load a
 * default-deny filter once their set-up is over. Both say what they allow as
 * rules: a system call, as libseccomp names it, and a condition on its
 * arguments (CL_RULE_*). This is the one place that turns such a rule into
 * libseccomp's terms. A system call this machine does not have is nothing to
 * allow and is skipped.
 */
#include <fcntl.h>
#include <seccomp.h>
#include <sys/mman.h>

#include "isolated.h"

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
    case CL_RULE_READ_ONLY: {
        struct scmp_arg_cmp read_only = {
            .arg = 2, .op = SCMP_CMP_MASKED_EQ, .datum_a = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, .datum_b = O_RDONLY};
        return seccomp_rule_add_array(filter, SCMP_ACT_ALLOW, number, 1, &read_only);
    }
    default:
        return seccomp_rule_add(filter, SCMP_ACT_ALLOW, number, 0);
    }
}
