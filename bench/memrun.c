// Launcher for the memory benchmark: a process small enough that its own pages do not distort
// what is measured. It blocks until a byte arrives on stdin (so the tracer can attach to its
// pid first), becomes a child subreaper (so daemonizing helpers stay in its tree and are
// waited for), drops to UID:GID, runs the command and waits for every descendant.
//   memrun UID GID CMD [ARG...]     exit status: the command's
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: memrun UID GID CMD [ARG...]\n");
        return 2;
    }
    uid_t uid = (uid_t)strtoul(argv[1], NULL, 10);
    gid_t gid = (gid_t)strtoul(argv[2], NULL, 10);
    char go;
    if (read(0, &go, 1) != 1) {
        perror("memrun: read go byte");
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        perror("memrun: PR_SET_CHILD_SUBREAPER");
        return 2;
    }
    pid_t child = fork();
    if (child < 0) {
        perror("memrun: fork");
        return 2;
    }
    if (child == 0) {
        struct passwd* pw = getpwuid(uid);
        if ((pw && initgroups(pw->pw_name, gid) != 0) || (!pw && setgroups(0, NULL) != 0) ||
            setgid(gid) != 0 || setuid(uid) != 0) {
            perror("memrun: drop privileges");
            _exit(125);
        }
        execvp(argv[3], argv + 3);
        fprintf(stderr, "memrun: exec %s: %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    int status = 0, rc = 2;
    pid_t p;
    while ((p = wait(&status)) > 0 || (p < 0 && errno == EINTR)) {
        if (p == child)
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return rc;
}
