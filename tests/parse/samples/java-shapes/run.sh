#!/bin/sh
# Java traces printed by OpenJDK 17 itself (printStackTrace, and the default handler of a
# thread that dies), between plain lines: Suppressed blocks with their own Caused by,
# java.rmi's "nested exception is:", a message ending in a newline, a type without message.
# Network use is 127.0.0.1 only (a closed port).
cd "$(dirname "$0")" && build=$(mktemp -d) && javac -d "$build" Main.java && java -cp "$build" com.shop.orders.Main; rm -rf "$build"
