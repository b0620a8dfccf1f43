package com.example.payment.controller;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.SecureRandom;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * A payment service at Spring Boot 2 + Sleuth's default console output (see logback.xml).
 * Each request runs on a thread named like Tomcat's (http-nio-8080-exec-N) with a random
 * Sleuth-style trace id and span id (16 hex digits) in the MDC. The ledger is a
 * silent ServerSocket on 127.0.0.1: it accepts the connection and never answers, so the
 * read times out for real.
 */
public class PaymentController {
    // As %-40.40logger{39} prints them (abbreviated to at most 39 characters).
    static final String LOGGER = "c.e.p.controller.PaymentController";
    static final String TOMCAT_LOGGER = "o.a.c.c.C.[.[.[/].[dispatcherServlet]";
    static Logger log;
    static Logger tomcat;
    static int requests;
    static final SecureRandom random = new SecureRandom();

    static void marker(String verb, String json) {
        System.out.flush();
        System.out.println("@@logship@@ " + verb + (json.isEmpty() ? "" : " " + json));
        System.out.flush();
    }

    static void begin(String id, String group, String types, String logger) {
        marker("begin", "{\"id\": \"" + id + "\", \"error\": true, \"group\": \"" + group
                + "\", \"types\": [" + types + "], \"logger\": \"" + logger
                + "\", \"level_marks_error\": true}");
    }

    static String hexId() {
        return String.format("%016x", random.nextLong());
    }

    /** Runs one request on its own Tomcat-like worker thread, traced, and waits for it. */
    static void request(Runnable handler) throws InterruptedException {
        Runnable traced = () -> {
            MDC.put("traceId", hexId());
            MDC.put("spanId", hexId());
            try {
                handler.run();
            } finally {
                MDC.clear();
            }
        };
        Thread worker = new Thread(traced, "http-nio-8080-exec-" + (++requests));
        worker.start();
        worker.join();
    }

    static int readLedger(ServerSocket ledger) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(ledger.getInetAddress(), ledger.getLocalPort()), 1000);
            socket.setSoTimeout(200);
            return socket.getInputStream().read();
        }
    }

    static void capture(ServerSocket ledger, String paymentId) {
        try {
            readLedger(ledger);
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

    public static void main(String[] args) throws Exception {
        // Spring Boot sets these before logback starts (LoggingSystemProperties).
        System.setProperty("PID", Long.toString(ProcessHandle.current().pid()));
        System.setProperty("springAppName", "payment-service");
        log = LoggerFactory.getLogger(PaymentController.class);
        tomcat = LoggerFactory.getLogger(
                "org.apache.catalina.core.ContainerBase.[Tomcat].[localhost].[/].[dispatcherServlet]");
        marker("meta", "{\"framework\": \"logback\", \"version\": \"" + System.getProperty("logback.version")
                + "\", \"language\": \"java\", \"configuration\": \"Spring Boot 2's default CONSOLE_LOG_PATTERN "
                + "(defaults.xml of 2.4 to 2.7) with Spring Cloud Sleuth 3's LOG_LEVEL_PATTERN "
                + "%5p [${springAppName},%X{traceId:-},%X{spanId:-}], run by plain logback (neither is installable "
                + "here): %clr dropped (not a TTY), springAppName=payment-service, random 16-hex-digit traceId and "
                + "spanId put in the MDC per request as Sleuth does, none on the main thread nor (as with Sleuth, "
                + "whose filter has closed the span by then) on Tomcat's own error line, %wEx reimplemented as logback's %xEx with a line break "
                + "before and after the trace, PID the real process id; OpenJDK "
                + System.getProperty("java.version") + "\"}");
        log.info("Started PaymentApplication, listening on port 8080 (http)");
        log.warn("Ledger latency 850 ms above threshold");

        String[][] declined = {{"alice", "10423", "19.99"}, {"bob.smith", "88817", "250.00"}};
        for (int i = 0; i < declined.length; i++) {
            String[] d = declined[i];
            String id = "untyped-" + (i + 1);
            request(() -> {
                begin(id, "untyped", "", LOGGER);
                log.error("Payment declined for user {} order {} amount {} EUR", d[0], d[1], d[2]);
                marker("end", "");
            });
        }

        String timeout = "\"java.lang.IllegalStateException\", \"java.net.SocketTimeoutException\"";
        try (ServerSocket ledger = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            for (String paymentId : new String[] {"pay-7f3a91", "pay-c20e5b"}) {
                request(() -> {
                    try {
                        capture(ledger, paymentId);
                    } catch (IllegalStateException e) {
                        begin("trace-timeout-" + paymentId, "trace-timeout", timeout, LOGGER);
                        log.error("Payment {} failed", paymentId, e);
                        marker("end", "");
                    }
                });
            }
            // A request whose exception escapes the controller: Tomcat's StandardWrapperValve
            // logs it "with root cause", passing only the root cause (Spring 5 wording).
            request(() -> {
                try {
                    capture(ledger, "pay-5e61c8");
                } catch (IllegalStateException e) {
                    Throwable root = e;
                    while (root.getCause() != null) {
                        root = root.getCause();
                    }
                    MDC.clear(); // Sleuth's filter has closed its span when Tomcat logs
                    begin("servlet-root-cause", "servlet-root-cause", "\"java.net.SocketTimeoutException\"",
                            TOMCAT_LOGGER);
                    tomcat.error("Servlet.service() for servlet [dispatcherServlet] in context with path [] "
                            + "threw exception [Request processing failed; nested exception is " + e + "] with root cause", root);
                    marker("end", "");
                }
            });
        }
        request(() -> {
            try {
                refund("pay-91d4e0", "12,50");
            } catch (IllegalStateException e) {
                begin("trace-number", "trace-number",
                        "\"java.lang.IllegalStateException\", \"java.lang.NumberFormatException\"", LOGGER);
                log.error("Payment {} failed", "pay-91d4e0", e);
                marker("end", "");
            }
        });
        log.info("Commencing graceful shutdown. Waiting for active requests to complete");

        // An untyped error line right before the JVM's own report of an uncaught exception.
        begin("untyped-fatal", "untyped-fatal", "", LOGGER);
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
            throw new UncheckedIOException("Ledger connection lost", e);
        }
    }
}
