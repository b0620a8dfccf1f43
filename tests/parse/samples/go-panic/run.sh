# Four runs of one binary in one stream, as a restarting container writes them:
# a crash after an untyped error line, a plain line then a crash (twice, the second
# with GOTRACEBACK=system for Go 1.23+'s "goroutine 1 gp=... m=0 mp=... [running]:"),
# and a panic with another value between them.
cd "$(dirname "$0")" && bin="$(mktemp -d)/gopanic" && go build -o "$bin" main.go && \
  ("$bin" a; RUN=1 "$bin" b; "$bin" c; RUN=2 GOTRACEBACK=system "$bin" b) 2>&1
