# Registry authentication: Basic auth (docker-registry with htpasswd) with credentials from
# ~/.docker/config.json and ~/.config/containers/auth.json, and the Bearer token flow (the fault
# proxy plays Docker Hub's token service), anonymous and with credentials.

suite_probe() {
  command -v htpasswd >/dev/null || { echo "htpasswd not found (apache2-utils)"; return 1; }
}

# write_auth FILE HOST USER:PASS...: an auth.json / config.json with one entry per HOST USER:PASS.
write_auth() {
  local file=$1 json='{}'
  shift
  while [[ $# -ge 2 ]]; do
    json=$(jq -c --arg h "$1" --arg a "$(printf %s "$2" | base64 -w0)" '.auths[$h].auth = $a' <<<"$json")
    shift 2
  done
  mkdir -p "$(dirname "$file")"
  echo "$json" >"$file"
  if ((SWITCH_USER)); then chown -R "$RUN_UID:$RUN_GID" "$T/home"; fi
}

expect_auth_error() {
  expect_cove_error "" "$@"
  expect_match "${ERR,,}" '(401|unauthori|authenticat|credential|password)' "error message"
}

suite_main() {
  local docker_cfg=$T/home/.docker/config.json containers_auth=$T/home/.config/containers/auth.json
  local auth_reg
  auth_reg=$("$SCRIPTS/registry.sh" start "$T/auth-registry" --auth tester:s3cret) ||
    { fail "cannot start the htpasswd registry"; return; }
  if ! "$SCRIPTS/make-test-image.sh" --auth tester:s3cret "$auth_reg" private/busybox \
    >"$T/private.info" 2>&1; then
    fail "cannot seed the htpasswd registry: $(cat "$T/private.info")"
  fi

  TEST "Basic auth: no credentials is a clear error"
  expect_auth_error cove pull "$auth_reg/private/busybox"

  TEST "Basic auth: credentials from ~/.docker/config.json"
  write_auth "$docker_cfg" "$auth_reg" tester:s3cret
  expect_success cove pull "$auth_reg/private/busybox"
  expect_success cove run --rm "$auth_reg/private/busybox" echo authorized
  expect_eq "$OUT" authorized "output"

  TEST "Basic auth: a wrong password names the credentials file"
  expect_success cove rmi "$auth_reg/private/busybox"
  write_auth "$docker_cfg" "$auth_reg" tester:wrong
  expect_auth_error cove pull "$auth_reg/private/busybox"
  expect_contains "$ERR" "config.json" "error message"

  TEST "Basic auth: ~/.config/containers/auth.json comes before ~/.docker/config.json"
  write_auth "$containers_auth" "$auth_reg" tester:s3cret
  expect_success cove pull "$auth_reg/private/busybox"
  rm -f "$containers_auth" "$docker_cfg"

  TEST "Basic auth: entries keyed by URL match too"
  write_auth "$docker_cfg" "http://$auth_reg" tester:s3cret
  expect_success cove pull "$auth_reg/private/busybox"
  rm -f "$docker_cfg"
  "$SCRIPTS/registry.sh" stop "$T/auth-registry"

  TEST "Bearer: anonymous token flow"
  start_fault_proxy --bearer
  local log=$T/proxy$((${#PROXY_PIDS[@]} - 1)).log
  expect_success cove pull "$PROXY/busybox"
  expect_contains "$(tr -d '\0' <"$log")" "scope=repository:busybox:pull" "token requests (proxy log)"
  expect_success cove run --rm "$PROXY/busybox" echo via-token
  expect_eq "$OUT" via-token "output"

  TEST "Bearer: the token service wants credentials and gets them from auth.json"
  start_fault_proxy --bearer-user tester:tok3n
  log=$T/proxy$((${#PROXY_PIDS[@]} - 1)).log
  expect_auth_error cove pull "$PROXY/busybox"
  write_auth "$containers_auth" "$PROXY" tester:tok3n
  expect_success cove pull "$PROXY/busybox"
  expect_contains "$(tr -d '\0' <"$log")" "basic user tester" "token requests (proxy log)"

  TEST "Bearer: wrong credentials for the token service"
  write_auth "$containers_auth" "$PROXY" tester:nope
  expect_success cove rmi "$PROXY/busybox"
  expect_auth_error cove pull "$PROXY/busybox"
  expect_contains "$ERR" "auth.json" "error message"
}
