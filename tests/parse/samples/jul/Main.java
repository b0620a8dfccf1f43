package com.shop.payments;

import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.logging.Level;
import java.util.logging.Logger;

public class Main {
    private static final Logger LOG = Logger.getLogger("com.shop.payments.PaymentService");

    static void marker(String verb, String json) {
        for (java.util.logging.Handler h : Logger.getLogger("").getHandlers()) h.flush();
        System.err.flush();
        System.err.println("@@logship@@ " + verb + (json.isEmpty() ? "" : " " + json));
        System.err.flush();
    }

    static String begin(String id, boolean error, String group, String types) {
        return "{\"id\": \"" + id + "\", \"error\": " + error + ", \"group\": " + (group == null ? "null" : "\"" + group + "\"")
            + ", \"types\": " + types + ", \"logger\": \"com.shop.payments.Main\", \"level_marks_error\": true}";
    }

    static void read(int order) throws Exception {
        try (ServerSocket server = new ServerSocket(0);
             Socket socket = new Socket("127.0.0.1", server.getLocalPort())) {
            socket.setSoTimeout(50);
            InputStream in = socket.getInputStream();
            in.read();
        }
    }

    static void charge(int order) {
        try {
            read(order);
        } catch (Exception e) {
            throw new IllegalStateException("charge failed for order " + order, e);
        }
    }

    static void parseAmount(int order, String text) {
        try {
            Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("charge failed for order " + order, e);
        }
    }

    public static void main(String[] args) throws Exception {
        marker("meta", "{\"framework\": \"java.util.logging\", \"version\": \"" + System.getProperty("java.version") + "\", \"language\": \"java\"}");
        marker("begin", begin("info-1", false, null, "[]"));
        LOG.info("started order 1");
        marker("begin", begin("warn-1", false, null, "[]"));
        LOG.warning("slow order 2 took 30 ms");
        int[] orders = {8812, 91};
        String[] users = {"alice", "bob"};
        for (int i = 0; i < 2; i++) {
            marker("begin", begin("untyped-" + i, true, "untyped", "[]"));
            LOG.severe("payment declined for order " + orders[i] + " user " + users[i]);
        }
        int[] charges = {17, 4242};
        for (int i = 0; i < 2; i++) {
            marker("begin", begin("timeout-" + i, true, "trace-timeout", "[\"java.lang.IllegalStateException\", \"java.net.SocketTimeoutException\"]"));
            try { charge(charges[i]); } catch (RuntimeException e) { LOG.log(Level.SEVERE, "charge " + charges[i] + " failed", e); }
        }
        marker("begin", begin("number-0", true, "trace-number", "[\"java.lang.IllegalStateException\", \"java.lang.NumberFormatException\"]"));
        try { parseAmount(5, "12x"); } catch (RuntimeException e) { LOG.log(Level.SEVERE, "charge 5 failed", e); }
        marker("begin", begin("info-2", false, null, "[]"));
        LOG.info("done");
        marker("begin", begin("untyped-before-crash", true, "untyped", "[]"));
        LOG.severe("payment declined for order 77 user carol");
        marker("begin", "{\"id\": \"crash\", \"error\": true, \"group\": \"trace-number\", \"types\": [\"java.lang.IllegalStateException\", \"java.lang.NumberFormatException\"], \"logger\": null, \"level_marks_error\": false}");
        parseAmount(6, "x1");
    }
}
