// The standard library's log package at its defaults: "2006/01/02 15:04:05 message" on
// stderr, no level, no logger name. Errors are logged with log.Printf("...: %v", err);
// the program ends with log.Fatalf on a real bind failure (exit status 1).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"runtime"
	"strconv"
	"time"
)

// log writes each line to os.Stderr with one unbuffered write: so do the markers.
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
		log.Fatal(err)
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
	marker("meta", map[string]any{
		"framework": "log", "version": runtime.Version(), "language": "go",
		"configuration": "the standard library's log package at its defaults (LstdFlags, stderr); log.Printf with %v of the error; log.Fatalf at the end",
	})
	gateway := silentGateway()
	defer gateway.Close()

	log.Printf("payment service listening on port %d", 8080)
	log.Printf("charging order %d for user %s", 4411, "alice")
	log.Printf("gateway latency %dms above %dms budget", 912, 500)

	untyped := map[string]any{"error": true, "group": "untyped", "types": []string{}, "logger": nil, "level_marks_error": false}
	marker("begin", with(untyped, "id", "untyped-1"))
	log.Printf("card declined for user alice (order 4411, amount 12.50 EUR, trace 4bf92f3577b34da6a3ce929d0e0e4736)")
	marker("begin", with(untyped, "id", "untyped-2"))
	log.Printf("card declined for user bob.smith (order 98127, amount 310.00 EUR, trace 0af7651916cd43dd8448eb211c80319c)")
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
			"level_marks_error": false, "unwrap_types": unwrapTypes(err),
		})
		log.Printf("payment failed: %v", err)
		marker("end", nil)
	}

	log.Printf("payment service restarting its listener")
	// A second listener on the gateway's port fails to bind: log.Fatalf prints and exits.
	marker("begin", map[string]any{"id": "fatal", "error": true, "group": "fatal", "types": []string{}, "logger": nil, "level_marks_error": false})
	if _, err := net.Listen("tcp", gateway.Addr().String()); err != nil {
		log.Fatalf("cannot listen: %v", err)
	}
}

func with(fields map[string]any, key string, value any) map[string]any {
	copied := map[string]any{key: value}
	for k, v := range fields {
		copied[k] = v
	}
	return copied
}
