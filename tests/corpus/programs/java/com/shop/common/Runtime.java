package com.shop.common;

import java.io.ByteArrayOutputStream;
import java.io.FileWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Plumbing shared by the Java corpus programs: a logger that prints like logback
 * (or Spring Boot's default layout) with the throwable's own printStackTrace
 * output, a side-channel manifest (one JSON line per entry: line count, error,
 * scenario), the plan reader and the 127.0.0.1 sockets the scenarios fail on.
 */
public final class Runtime {
    private static final DateTimeFormatter SPRING =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    private static final DateTimeFormatter LOGBACK = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    private final String layout;
    private final String service;
    private final PrintWriter manifest;
    private final ServerSocket hole;

    public Runtime(String layout, String service, String manifestPath) throws IOException {
        this.layout = layout;
        this.service = service;
        this.manifest = new PrintWriter(new FileWriter(manifestPath, StandardCharsets.UTF_8), true);
        this.hole = new ServerSocket();
        this.hole.bind(new InetSocketAddress("127.0.0.1", 0), 64);
    }

    /** A port on 127.0.0.1 that accepts connections and never answers. */
    public int holePort() {
        return hole.getLocalPort();
    }

    /** A port on 127.0.0.1 that nothing listens on. */
    public static int closedPort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return probe.getLocalPort();
        }
    }

    /** Reads from a socket that never answers: a real SocketTimeoutException. */
    public static int readFrom(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            socket.setSoTimeout(50);
            return socket.getInputStream().read();
        }
    }

    public void log(String level, String logger, String message, Throwable error, String label) {
        String prefix;
        if (layout.equals("spring")) {
            String time = OffsetDateTime.now(ZoneOffset.UTC).format(SPRING);
            prefix = String.format("%s %5s 1 --- [%s] [nio-8080-exec-%d] %-40s : ", time, level,
                    service, 1 + (int) (Thread.currentThread().getId() % 9), abbreviate(logger));
        } else {
            String time = LocalTime.now(ZoneOffset.UTC).format(LOGBACK);
            prefix = String.format("%s [http-nio-8080-exec-%d] %-5s %s - ", time,
                    1 + (int) (Thread.currentThread().getId() % 9), level, abbreviate(logger));
        }
        String text = prefix + message;
        if (error != null) {
            StringWriter trace = new StringWriter();
            error.printStackTrace(new PrintWriter(trace));
            text = text + "\n" + trace.toString().stripTrailing();
        }
        raw(text, level.equals("ERROR"), label);
    }

    /** Writes ``text`` as one entry. */
    public void raw(String text, boolean error, String label) {
        System.out.print(text + "\n");
        System.out.flush();
        long lines = text.chars().filter(c -> c == '\n').count() + 1;
        String quoted = label == null ? "null" : "\"" + label + "\"";
        manifest.println("{\"lines\": " + lines + ", \"error\": " + error + ", \"label\": " + quoted + "}");
    }

    /** Runs ``body`` in a thread that dies of it: the JVM's own "Exception in thread" output. */
    public void uncaught(String threadName, Runnable body, String label) throws InterruptedException {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream previous = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        Thread thread = new Thread(body, threadName);
        thread.start();
        thread.join();
        System.setErr(previous);
        raw(captured.toString(StandardCharsets.UTF_8).stripTrailing(), true, label);
    }

    private static String abbreviate(String logger) {
        String[] parts = logger.split("\\.");
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < parts.length - 1; i++) {
            out.append(parts[i].charAt(0)).append('.');
        }
        return out.append(parts[parts.length - 1]).toString();
    }

    /** Runs each line of the plan file: "scenario<TAB>key=value<TAB>...". */
    public static void run(String planPath, Map<String, Consumer<Map<String, String>>> handlers)
            throws IOException {
        List<String> lines = Files.readAllLines(Path.of(planPath), StandardCharsets.UTF_8);
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            String[] fields = line.split("\t");
            Map<String, String> args = new HashMap<>();
            for (int i = 1; i < fields.length; i++) {
                int eq = fields[i].indexOf('=');
                args.put(fields[i].substring(0, eq), fields[i].substring(eq + 1));
            }
            Consumer<Map<String, String>> handler = handlers.get(fields[0]);
            if (handler == null) {
                throw new IllegalArgumentException("unknown step " + fields[0]);
            }
            handler.accept(args);
        }
    }
}
