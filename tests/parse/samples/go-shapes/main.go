// Go crashes in the shapes log tools' test suites name, printed by the Go runtime.
// ./app SHAPE: a plain start-up line, then SHAPE.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
)

func marker(verb, js string) {
	if js != "" {
		fmt.Fprintf(os.Stderr, "@@logship@@ %s %s\n", verb, js)
	} else {
		fmt.Fprintf(os.Stderr, "@@logship@@ %s\n", verb)
	}
}

func begin(id string, isError bool, group string, types string) {
	g := "null"
	if group != "" {
		g = `"` + group + `"`
	}
	marker("begin", fmt.Sprintf(`{"id": %q, "error": %t, "group": %s, "types": %s, "logger": null, "level_marks_error": false}`, id, isError, g, types))
}

type Order struct {
	ID    int
	Items []string
}

type Ledger struct{ entries map[int]int }

func (l *Ledger) Post(o *Order) int { return l.entries[o.ID] + len(o.Items) }

func firstItem(o *Order, i int) string { return o.Items[i] }

func worker(wg *sync.WaitGroup, amount string) {
	defer wg.Done()
	n, err := strconv.Atoi(amount)
	if err != nil {
		panic(err)
	}
	fmt.Println(n)
}

func settle(o *Order) {
	defer func() {
		if r := recover(); r != nil {
			panic(fmt.Sprintf("settling order %d failed: %v", o.ID, r))
		}
	}()
	var l *Ledger
	l.Post(o)
}

func retry(o *Order) {
	defer func() {
		r := recover()
		panic(r)
	}()
	firstItem(o, 3)
}

func serve() {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/orders/", func(w http.ResponseWriter, r *http.Request) {
		var o *Order
		fmt.Fprint(w, o.ID)
	})
	go http.Serve(listener, mux)
	resp, err := http.Get("http://" + listener.Addr().String() + "/orders/7")
	if err == nil {
		resp.Body.Close()
	}
}

func main() {
	shape := os.Args[1]
	begin("plain-"+shape, false, "", "[]")
	fmt.Fprintf(os.Stderr, "worker %s listening on :8080\n", shape)
	switch shape {
	case "goroutine":
		begin("goroutine", true, "goroutine", `["panic"]`)
		var wg sync.WaitGroup
		wg.Add(1)
		go worker(&wg, "12x")
		wg.Wait()
	case "signal":
		begin("signal", true, "signal", `["panic"]`)
		var l *Ledger
		l.Post(&Order{ID: 1})
	case "recovered":
		begin("recovered", true, "recovered", `["panic"]`)
		settle(&Order{ID: 2})
	case "repanicked":
		begin("repanicked", true, "repanicked", `["panic"]`)
		retry(&Order{ID: 3})
	case "http":
		log.SetOutput(os.Stderr)
		begin("http", true, "http", `["panic"]`)
		serve()
		begin("plain-after-http", false, "", "[]")
		log.Printf("worker %s still serving", shape)
		marker("end", "")
	}
}
