// logrus at its defaults: logrus.New() writes to stderr with the TextFormatter, which
// prints key=value (time, level, msg, then the fields sorted) when stderr is not a
// terminal. Errors are logged the way logrus's docs show: WithError(err), an "error" field.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"
)

// Set by run.sh from the Debian package logrus was built from (logrus has no version constant).
var logrusVersion = "unknown"

// logrus writes each entry to os.Stderr with one unbuffered write: so do the markers.
func marker(verb string, fields map[string]any) {
	line := "@@logship@@ " + verb
	if fields != nil {
		encoded, _ := json.Marshal(fields)
		line += " " + string(encoded)
	}
	fmt.Fprintln(os.Stderr, line)
}

// unwrapTypes is the error's chain of Go types (errors.Unwrap), for truth.json: the
// log line itself prints only the messages.
func unwrapTypes(err error) []string {
	types := []string{}
	for ; err != nil; err = unwrap(err) {
		types = append(types, fmt.Sprintf("%T", err))
	}
	return types
}

func unwrap(err error) error {
	if wrapped, ok := err.(interface{ Unwrap() error }); ok {
		return wrapped.Unwrap()
	}
	return nil
}

// silentGateway accepts connections and never answers: a read from it times out.
func silentGateway() net.Listener {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		var open []net.Conn // held open, never answered
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			open = append(open, conn)
		}
	}()
	return listener
}

func chargeOrder(id int64, amount string, gateway string) error {
	cents, err := strconv.ParseInt(amount, 10, 64)
	if err != nil {
		return fmt.Errorf("charge order %d: %w", id, err)
	}
	conn, err := net.DialTimeout("tcp", gateway, time.Second)
	if err != nil {
		return fmt.Errorf("charge order %d: %w", id, err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "CHARGE %d %d\n", id, cents)
	conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := io.ReadAll(conn); err != nil {
		return fmt.Errorf("charge order %d: %w", id, err)
	}
	return nil
}

func main() {
	logger := logrus.New()
	marker("meta", map[string]any{
		"framework": "logrus", "version": logrusVersion, "language": "go",
		"configuration": "logrus.New() at its defaults (TextFormatter, stderr, not a terminal), Debian's golang-github-sirupsen-logrus-dev built with " + runtime.Version() + "; WithFields(...).Error(msg) and WithError(err)",
	})
	gateway := silentGateway()
	defer gateway.Close()

	logger.WithField("port", 8080).Info("payment service listening")
	logger.WithFields(logrus.Fields{"order": 4411, "user": "alice"}).Info("charging order")
	logger.WithFields(logrus.Fields{"latency_ms": 912, "budget_ms": 500}).Warn("gateway latency above budget")

	untyped := map[string]any{"error": true, "group": "untyped", "types": []string{}, "logger": nil, "level_marks_error": true}
	marker("begin", with(untyped, "id", "untyped-1"))
	logger.WithFields(logrus.Fields{"order": 4411, "amount": "12.50 EUR", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}).Error("card declined for user alice")
	marker("begin", with(untyped, "id", "untyped-2"))
	logger.WithFields(logrus.Fields{"order": 98127, "amount": "310.00 EUR", "trace_id": "0af7651916cd43dd8448eb211c80319c"}).Error("card declined for user bob.smith")
	marker("end", nil)

	for _, order := range []struct {
		id, group string
		number    int64
		amount    string
	}{
		{"timeout-1", "wrapped-timeout", 1001, "1250"},
		{"timeout-2", "wrapped-timeout", 2002, "31000"},
		{"number-1", "wrapped-number", 3003, "12,50"},
	} {
		err := chargeOrder(order.number, order.amount, gateway.Addr().String())
		marker("begin", map[string]any{
			"id": order.id, "error": true, "group": order.group, "types": []string{}, "logger": nil,
			"level_marks_error": true, "unwrap_types": unwrapTypes(err),
		})
		logger.WithError(err).WithField("order", order.number).Error("payment failed")
		marker("end", nil)
	}
	logger.Info("payment service stopping")
}

func with(fields map[string]any, key string, value any) map[string]any {
	copied := map[string]any{key: value}
	for k, v := range fields {
		copied[k] = v
	}
	return copied
}
