/*
 * cove-init: the minimal PID 1 that `cove run --init` puts in front of the container's command.
 *
 *   cove-init [--] COMMAND [ARG...]
 *
 * A process that is PID 1 of a pid namespace has two jobs most programs never expect: it adopts
 * every orphan (and must reap them, or they stay zombies), and the kernel does not apply default
 * signal actions to it (a SIGTERM without a handler is ignored, so `stop` has to wait for
 * SIGKILL). cove-init runs COMMAND as its child in a process group of its own, reaps every child,
 * forwards the signals a user sends to a container (SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1,
 * SIGUSR2, SIGWINCH) to that process group, and exits with COMMAND's status: its exit code, or
 * 128+N when signal N killed it.
 *
 * It is linked statically (it is bind-mounted into images whatever their libc) and does nothing
 * else: no options, no configuration.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static void usage(void) {
  fputs("usage: cove-init [--] COMMAND [ARG...]\n"
        "Runs COMMAND as the child of a minimal init that reaps zombies and forwards signals.\n",
        stderr);
}

/* In the child: its own process group, the terminal's foreground group when stdin is the
 * controlling terminal (or reading it would stop the command with SIGTTIN), the signal mask the
 * init was started with, then the command. */
static void exec_command(char **argv, const sigset_t *original_mask) {
  setpgid(0, 0);
  if (isatty(STDIN_FILENO))
    tcsetpgrp(STDIN_FILENO, getpid()); /* SIGTTOU is still blocked here, as it must be */
  sigprocmask(SIG_SETMASK, original_mask, NULL);
  execvp(argv[0], argv);
  int err = errno;
  fprintf(stderr, "cove-init: exec %s: %s\n", argv[0], strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}

static int is_forwarded(int sig) {
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; ++i)
    if (forwarded[i] == sig)
      return 1;
  return 0;
}

/* Reaps every child that has exited; returns 1 once `child` is among them, its status stored. */
static int reap(pid_t child, int *child_status) {
  int found = 0;
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR)
      continue;
    if (pid <= 0)
      return found;
    if (pid == child) {
      *child_status = status;
      found = 1;
    }
  }
}

int main(int argc, char **argv) {
  int first = 1;
  if (first < argc && strcmp(argv[first], "--") == 0)
    ++first;
  if (first >= argc || argv[first][0] == '-') {
    usage();
    return 125;
  }
  /* Every signal is handled synchronously with sigwaitinfo below: none can interrupt the
   * bookkeeping, and none sent before the loop is lost. */
  sigset_t all;
  sigset_t original_mask;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &original_mask);
  /* Outside a new pid namespace (not PID 1), still adopt the command's orphans. */
  if (getpid() != 1)
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "cove-init: fork: %s\n", strerror(errno));
    return 125;
  }
  if (child == 0)
    exec_command(argv + first, &original_mask);
  setpgid(child, child); /* also here, so a signal right away already reaches the group */

  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0)
      continue; /* EINTR */
    if (sig == SIGCHLD) {
      int status = 0;
      if (!reap(child, &status))
        continue;
      if (WIFEXITED(status))
        return WEXITSTATUS(status);
      if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
      return 125;
    }
    if (is_forwarded(sig) && kill(-child, sig) < 0)
      kill(child, sig); /* the command left its process group */
  }
}
