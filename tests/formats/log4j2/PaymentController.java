package com.example.payment;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.UUID;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A payment service logging through the log4j2 API at log4j2's default PatternLayout
 * pattern (log4j2.xml). The ledger is a silent ServerSocket on 127.0.0.1: it accepts
 * the connection and never answers, so the read times out for real.
 */
public class PaymentController {
    private static final Logger log = LogManager.getLogger(PaymentController.class);
    private static final String LOGGER = "com.example.payment.PaymentController"; // as %logger{36} prints it (36 components, not chars)

    static void marker(String verb, String json) {
        System.out.flush();
        System.out.println("@@logship@@ " + verb + (json.isEmpty() ? "" : " " + json));
        System.out.flush();
    }

    static void begin(String id, String group, String types) {
        marker("begin", "{\"id\": \"" + id + "\", \"error\": true, \"group\": \"" + group
                + "\", \"types\": [" + types + "], \"logger\": \"" + LOGGER
                + "\", \"level_marks_error\": true}");
    }

    static int readLedger(ServerSocket ledger, String paymentId) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(ledger.getInetAddress(), ledger.getLocalPort()), 1000);
            socket.setSoTimeout(200);
            return socket.getInputStream().read();
        }
    }

    static void capture(ServerSocket ledger, String paymentId) {
        try {
            readLedger(ledger, paymentId);
        } catch (IOException e) {
            throw new IllegalStateException("Capture failed for payment " + paymentId, e);
        }
    }

    static void refund(String paymentId, String amount) {
        try {
            Integer.parseInt(amount);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("Refund failed for payment " + paymentId, e);
        }
    }

    public static void main(String[] args) throws IOException {
        String version = System.getProperty("log4j2.version"); // run.sh reads it from the Debian package
        marker("meta", "{\"framework\": \"log4j2\", \"version\": \"" + version + "\", \"language\": \"java\", "
                + "\"configuration\": \"log4j2.xml: Console appender (SYSTEM_OUT), the default PatternLayout pattern "
                + "%d{HH:mm:ss.SSS} [%t] %-5level %logger{36} - %msg%n (exceptions by the implicit %xEx), root INFO; OpenJDK "
                + System.getProperty("java.version") + "\"}");
        log.info("Payment service started on port {}", 8080);
        log.info("Connected to ledger at 127.0.0.1");
        log.warn("Ledger latency {} ms above threshold", 850);

        begin("untyped-1", "untyped", "");
        log.error("Payment declined for user {} order {} amount {} EUR", "alice", 10423, "19.99");
        begin("untyped-2", "untyped", "");
        log.error("Payment declined for user {} order {} amount {} EUR", "bob.smith", 88817, "250.00");
        marker("end", "");

        log.info("Processing payment {}", UUID.randomUUID());
        String timeout = "\"java.lang.IllegalStateException\", \"java.net.SocketTimeoutException\"";
        try (ServerSocket ledger = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            for (String paymentId : new String[] {"pay-7f3a91", "pay-c20e5b"}) {
                try {
                    capture(ledger, paymentId);
                } catch (IllegalStateException e) {
                    begin("trace-timeout-" + paymentId, "trace-timeout", timeout);
                    log.error("Payment {} failed", paymentId, e);
                    marker("end", "");
                }
            }
        }
        try {
            refund("pay-91d4e0", "12,50");
        } catch (IllegalStateException e) {
            begin("trace-number", "trace-number",
                    "\"java.lang.IllegalStateException\", \"java.lang.NumberFormatException\"");
            log.error("Payment {} failed", "pay-91d4e0", e);
            marker("end", "");
        }
        log.info("Payment service drained {} requests", 5);

        // An untyped error line right before the JVM's own report of an uncaught exception.
        begin("untyped-fatal", "untyped-fatal", "");
        log.error("Ledger unreachable after {} attempts, stopping the payment worker", 3);
        marker("begin", "{\"id\": \"crash\", \"error\": true, \"group\": \"crash\", \"types\": "
                + "[\"java.io.UncheckedIOException\", \"java.net.ConnectException\"], "
                + "\"logger\": null, \"level_marks_error\": false}");
        int closedPort;
        try (ServerSocket gone = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            closedPort = gone.getLocalPort();
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), closedPort), 1000);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Ledger connection lost", e);
        }
    }
}
