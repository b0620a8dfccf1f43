package com.example.payment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A payment service logging through java.util.logging with the JDK's default
 * configuration: a ConsoleHandler on System.err with SimpleFormatter, whose record is
 * two lines (date + source class and method, then LEVEL: message). The markers go to
 * System.err as well so their order is exact. The ledger is a silent ServerSocket on
 * 127.0.0.1: it accepts the connection and never answers, so the read times out for real.
 */
public class PaymentController {
    private static final Logger log = Logger.getLogger(PaymentController.class.getName());
    // SimpleFormatter prints the source class (and method), not the logger name; here they agree.
    private static final String LOGGER = "com.example.payment.PaymentController";

    static void marker(String verb, String json) {
        System.err.flush();
        System.err.println("@@logship@@ " + verb + (json.isEmpty() ? "" : " " + json));
        System.err.flush();
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
        String java = System.getProperty("java.version");
        marker("meta", "{\"framework\": \"java.util.logging\", \"version\": \"" + java + "\", \"language\": \"java\", "
                + "\"configuration\": \"the JDK's default logging.properties: ConsoleHandler (System.err) with "
                + "SimpleFormatter and its default format %1$tb %1$td, %1$tY %1$tl:%1$tM:%1$tS %1$Tp %2$s%n%4$s: %5$s%6$s%n; "
                + "OpenJDK " + java + "\"}");
        log.info("Payment service started on port 8080");
        log.info("Connected to ledger at 127.0.0.1");
        log.log(Level.WARNING, "Ledger latency {0} ms above threshold", 850);

        begin("untyped-1", "untyped", "");
        log.log(Level.SEVERE, "Payment declined for user {0} order {1} amount {2} EUR",
                new Object[] {"alice", 10423, "19.99"});
        begin("untyped-2", "untyped", "");
        log.log(Level.SEVERE, "Payment declined for user {0} order {1} amount {2} EUR",
                new Object[] {"bob.smith", 88817, "250.00"});
        marker("end", "");

        log.info("Processing payment " + UUID.randomUUID());
        String timeout = "\"java.lang.IllegalStateException\", \"java.net.SocketTimeoutException\"";
        try (ServerSocket ledger = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            for (String paymentId : new String[] {"pay-7f3a91", "pay-c20e5b"}) {
                try {
                    capture(ledger, paymentId);
                } catch (IllegalStateException e) {
                    begin("trace-timeout-" + paymentId, "trace-timeout", timeout);
                    log.log(Level.SEVERE, "Payment " + paymentId + " failed", e);
                    marker("end", "");
                }
            }
        }
        try {
            refund("pay-91d4e0", "12,50");
        } catch (IllegalStateException e) {
            begin("trace-number", "trace-number",
                    "\"java.lang.IllegalStateException\", \"java.lang.NumberFormatException\"");
            log.log(Level.SEVERE, "Payment pay-91d4e0 failed", e);
            marker("end", "");
        }
        log.info("Payment service drained 5 requests");

        // An untyped error record right before the JVM's own report of an uncaught exception.
        begin("untyped-fatal", "untyped-fatal", "");
        log.log(Level.SEVERE, "Ledger unreachable after {0} attempts, stopping the payment worker", 3);
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
            throw new UncheckedIOException("Ledger connection lost", e);
        }
    }
}
