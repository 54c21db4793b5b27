# An S3 API server (s3rver, from the npm registry) on a loopback port, for
# the tests of the object-store repository. Source this file.
#
#   s3_start DIR [BUCKET]   start s3rver with its data in DIR/data and BUCKET
#                           (default scribe-test) created; sets S3_PORT,
#                           S3_ENDPOINT, S3_BUCKET and the AWS_* variables
#   s3_stop DIR             stop it (the data stays until DIR is removed)
#   s3_restart DIR          start it again on the same port with the same data
#   S3_LOG                  the server's log (DIR/s3rver.log)
#
# s3rver is installed once into tests/s3/node_modules (npm install needs the
# npm registry); SCRIBE_S3RVER may name an installed s3rver instead.

S3_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/s3

s3_install() {
  if [ -n "${SCRIBE_S3RVER:-}" ]; then return 0; fi
  if [ ! -x "$S3_LIB_DIR/node_modules/.bin/s3rver" ]; then
    (cd "$S3_LIB_DIR" && npm install --no-audit --no-fund --silent >/dev/null) ||
      { echo "s3.sh: npm install s3rver failed" >&2; return 1; }
  fi
  SCRIBE_S3RVER=$S3_LIB_DIR/node_modules/.bin/s3rver
}

s3_wait_port() {
  local port=$1 i
  for i in $(seq 1 100); do
    if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "s3.sh: nothing listens on port $port" >&2
  return 1
}

s3_launch() {
  local dir=$1
  "$SCRIBE_S3RVER" -d "$dir/data" -a 127.0.0.1 -p "$S3_PORT" --configure-bucket "$S3_BUCKET" \
    >>"$dir/s3rver.log" 2>&1 &
  echo $! >"$dir/s3rver.pid"
  s3_wait_port "$S3_PORT"
}

s3_start() {
  local dir=$1
  s3_install || return 1
  mkdir -p "$dir/data"
  S3_BUCKET=${2:-scribe-test}
  S3_PORT=$((40000 + RANDOM % 20000))
  S3_ENDPOINT=http://127.0.0.1:$S3_PORT
  S3_LOG=$dir/s3rver.log
  # s3rver accepts any secret for its one key pair (S3RVER/S3RVER).
  export AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
  s3_launch "$dir"
}

s3_stop() {
  local dir=$1 pid
  pid=$(cat "$dir/s3rver.pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$dir/s3rver.pid"
}

s3_restart() {
  s3_launch "$1"
}
