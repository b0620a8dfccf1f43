// zap's production logger: zap.NewProduction() writes JSON lines to stderr and adds a
// "stacktrace" to every entry at error level; the service logs through a Named logger.
// Errors are logged the way zap's docs show: zap.Error(err), an "error" field.
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

	"go.uber.org/zap"
)

// Set by run.sh from the Debian package zap was built from (zap has no version constant).
var zapVersion = "unknown"

// zap writes each entry to os.Stderr with one unbuffered write: so do the markers.
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
	production, err := zap.NewProduction()
	if err != nil {
		panic(err)
	}
	defer production.Sync()
	logger := production.Named("payment")
	marker("meta", map[string]any{
		"framework": "zap", "version": zapVersion, "language": "go",
		"configuration": "zap.NewProduction().Named(\"payment\") (JSON, stderr, stacktrace at error level), Debian's golang-go.uber-zap-dev built with " + runtime.Version() + "; logger.Error(msg, zap.Error(err), ...)",
	})
	gateway := silentGateway()
	defer gateway.Close()

	logger.Info("payment service listening", zap.Int("port", 8080))
	logger.Info("charging order", zap.Int("order", 4411), zap.String("user", "alice"))
	logger.Warn("gateway latency above budget", zap.Int("latency_ms", 912), zap.Int("budget_ms", 500))

	untyped := map[string]any{"error": true, "group": "untyped", "types": []string{}, "logger": "payment", "level_marks_error": true}
	// Logged from one line, as a handler would: every error-level entry carries a
	// stacktrace (and a caller), so two call sites would print two different stacks.
	for _, decline := range []struct {
		id, user, amount, traceID string
		order                     int
	}{
		{"untyped-1", "alice", "12.50 EUR", "4bf92f3577b34da6a3ce929d0e0e4736", 4411},
		{"untyped-2", "bob.smith", "310.00 EUR", "0af7651916cd43dd8448eb211c80319c", 98127},
	} {
		marker("begin", with(untyped, "id", decline.id))
		logger.Error("card declined for user "+decline.user, zap.Int("order", decline.order), zap.String("amount", decline.amount), zap.String("trace_id", decline.traceID))
	}
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
			"id": order.id, "error": true, "group": order.group, "types": []string{}, "logger": "payment",
			"level_marks_error": true, "unwrap_types": unwrapTypes(err),
		})
		logger.Error("payment failed", zap.Int64("order", order.number), zap.Error(err))
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
