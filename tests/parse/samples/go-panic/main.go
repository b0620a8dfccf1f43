package main

import (
	"fmt"
	"log"
	"os"
	"strconv"
)

func marker(verb, js string) {
	if js != "" {
		fmt.Fprintf(os.Stderr, "@@logship@@ %s %s\n", verb, js)
	} else {
		fmt.Fprintf(os.Stderr, "@@logship@@ %s\n", verb)
	}
}

type Order struct{ items map[string]int }

func reserve(o *Order, sku string) { o.items[sku]++ }

func parse(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

func main() {
	mode := os.Args[1]
	if mode == "a" {
		marker("meta", `{"framework": "go-panic", "version": "go1.27", "language": "go"}`)
		marker("begin", `{"id": "info-1", "error": false, "group": null, "types": [], "logger": null, "level_marks_error": false}`)
		log.Printf("INFO starting payment-service on :8080")
		marker("begin", `{"id": "untyped-0", "error": true, "group": "untyped", "types": [], "logger": null, "level_marks_error": true}`)
		log.Printf("ERROR payment declined for order 8812 user alice")
		marker("begin", `{"id": "crash-0", "error": true, "group": "nil-map", "types": ["panic"], "logger": null, "level_marks_error": false}`)
		var o Order
		reserve(&o, "sku-1")
	} else if mode == "b" {
		marker("begin", `{"id": "plain-` + os.Getenv("RUN") + `", "error": false, "group": null, "types": [], "logger": null, "level_marks_error": false}`)
		fmt.Println("listening on :8080")
		marker("begin", `{"id": "crash-b-` + os.Getenv("RUN") + `", "error": true, "group": "nil-map", "types": ["panic"], "logger": null, "level_marks_error": false}`)
		var o Order
		reserve(&o, "sku-2")
	} else {
		marker("begin", `{"id": "crash-2", "error": true, "group": "atoi", "types": ["panic"], "logger": null, "level_marks_error": false}`)
		parse("12x")
	}
}
