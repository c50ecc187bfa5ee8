# run -it: the container gets a terminal of its own (through util-linux script(1), which gives
# cove a pty as a user's shell would).

suite_probe() {
  command -v script >/dev/null || { echo "script(1) not found (bsdutils)"; return 1; }
}

# tty_run SHELL_PREFIX COVE_ARGS...: runs cove under script with a pty; OUT has \r removed.
# TTY_INPUT, when set, is a shell command whose output is typed into the terminal.
# script's input stays open until the command is done: at EOF script types ^D, which the
# terminal stores as a NUL in its canonical-mode buffer; if cove has not yet put the terminal in
# raw mode, that NUL reaches the container and comes back echoed as "^@".
tty_run() {
  local prefix=$1 feeder rc
  shift
  LAST_CMD="script -qec '${prefix}cove $*'"
  as_user timeout -k 10 "$CMD_TIMEOUT" script -qec "$prefix$(cove_cmdline "$@")" /dev/null \
    >"$T/last.out" 2>"$T/last.err" < <(bash -c "${TTY_INPUT:-true}"; exec sleep "$CMD_TIMEOUT")
  rc=$? feeder=$!
  kill "$feeder" 2>/dev/null
  _collect $rc
  # stderr shares the terminal: drop cove's own warnings (e.g. about a single-id mapping).
  OUT=$(tr -d '\r' <<<"$OUT" | grep -v '^cove: warning:')
}

suite_main() {
  # Pull first: progress messages would otherwise share the terminal with the output.
  TEST "pull the image"
  expect_success cove pull "$IMG"

  TEST "-it gives the container a pty"
  tty_run "" run --rm -it "$IMG" tty
  expect_eq "$RC" 0 "exit status"
  expect_match "$OUT" '^/dev/pts/[0-9]+$' "tty"

  TEST "stdin, stdout and stderr are the terminal"
  tty_run "" run --rm -it "$IMG" sh -c 'test -t 0 && test -t 1 && test -t 2 && echo all-tty'
  expect_eq "$OUT" all-tty "terminal check"

  TEST "the terminal size is passed on"
  tty_run "stty rows 37 cols 91; " run --rm -it "$IMG" stty size
  expect_eq "$RC" 0 "exit status"
  expect_eq "$OUT" "37 91" "stty size"

  TEST "TERM is set with -t"
  tty_run "" run --rm -it "$IMG" sh -c 'echo $TERM'
  expect_ne "$OUT" "" "TERM"

  TEST "the exit status comes through the terminal"
  tty_run "" run --rm -it "$IMG" sh -c 'exit 4'
  expect_eq "$RC" 4 "exit status"

  TEST "without -t there is no terminal in the container"
  tty_run "" run --rm -i "$IMG" sh -c 'tty; true'
  expect_eq "$OUT" "not a tty" "tty without -t"

  TEST "the pty is the container's own devpts"
  tty_run "" run --rm -it "$IMG" ls -1 /dev/pts
  expect_line "$OUT" '^0( |$)' "/dev/pts listing"
  expect_line "$OUT" '^ptmx( |$)' "/dev/pts listing"

  TEST "Ctrl-C reaches the container"
  # The pty's line discipline turns ^C into SIGINT for the foreground job in the container.
  # ^C is typed once the container's trap is set, i.e. once its sleep runs.
  local secs=$((200000 + $$))
  export -f wait_for_process
  TTY_INPUT="wait_for_process 'sleep $secs' >/dev/null; printf '\\003'; sleep 2" \
    tty_run "" run --rm -it "$IMG" sh -c "trap 'echo got-int; exit 9' INT; sleep $secs & wait"
  expect_contains "$OUT" "got-int" "output"
  expect_eq "$RC" 9 "exit status"
}
