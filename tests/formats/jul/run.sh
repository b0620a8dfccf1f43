#!/bin/sh
# java.util.logging with the JDK's default configuration (SimpleFormatter, two-line
# records): compiles PaymentController.java and runs it. Needs only a JDK 17:
#   apt-get install -y openjdk-17-jdk-headless
# Network use is 127.0.0.1 only (a silent local ServerSocket, a closed local port).
set -eu
if ! command -v javac > /dev/null; then
    echo "run.sh: javac is missing: apt-get install -y openjdk-17-jdk-headless" >&2
    exit 1
fi
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
javac -d "$build/classes" PaymentController.java
jar cf "$build/payment-service.jar" -C "$build/classes" .
export TZ=UTC
java -cp "$build/payment-service.jar" com.example.payment.PaymentController
