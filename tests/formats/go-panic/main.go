// An order worker that dies on bad data, started once per order by run.sh (as a
// container restarted after each crash): the standard log package prints a line, then
// the runtime prints the crash to stderr as the process dies.
//
//	order 1001, 2002: a nil map written to: "panic: assignment to entry in nil map"
//	order 3003: an order that is its own parent: "fatal error: stack overflow"
//	order 4004: processed; the worker exits normally
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"strconv"
)

type Order struct {
	ID        int
	Cents     int64
	Parent    *Order
	Discounts map[string]int
}

func loadOrder(id int) *Order {
	order := &Order{ID: id, Cents: 1250}
	if id > 3000 {
		order.Discounts = map[string]int{}
	}
	if id == 3003 {
		order.Parent = order // a cycle in the data
	}
	return order
}

func applyDiscount(order *Order, code string, percent int) {
	order.Discounts[code] = percent
}

func total(order *Order) int64 {
	if order.Parent == nil {
		return order.Cents
	}
	return order.Cents + total(order.Parent)
}

// The runtime prints the crash to stderr: the marker goes there too, right before it.
func beginCrash(fields map[string]any) {
	encoded, _ := json.Marshal(fields)
	fmt.Fprintf(os.Stderr, "@@logship@@ begin %s\n", encoded)
}

func main() {
	id, err := strconv.Atoi(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	order := loadOrder(id)
	log.Printf("processing order %d", order.ID)
	crash := map[string]any{"id": os.Getenv("LOGSHIP_ENTRY"), "error": true, "logger": nil, "level_marks_error": false}
	if order.Parent != nil {
		crash["group"], crash["types"] = "fatal-stack-overflow", []string{"fatal error"}
		beginCrash(crash)
	} else if order.Discounts == nil {
		crash["group"], crash["types"] = "panic-nil-map", []string{"panic"}
		beginCrash(crash)
	}
	applyDiscount(order, "WELCOME10", 10)
	log.Printf("order %d total %d cents", order.ID, total(order))
}
