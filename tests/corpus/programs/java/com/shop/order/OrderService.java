package com.shop.order;

import com.shop.common.Runtime;
import java.io.IOException;
import java.net.Socket;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * order-service: logback's default layout. Usage: OrderService PLAN MANIFEST.
 * Each scenario raises a real exception and logs it with its stack trace.
 */
public final class OrderService {
    private static Runtime rt;
    private static final String CONTROLLER = "com.shop.order.OrderController";
    private static final String REPOSITORY = "com.shop.order.OrderRepository";

    private OrderService() {}

    static String loadOrder(long orderId) {
        try {
            return "order-" + Runtime.readFrom(rt.holePort());
        } catch (IOException e) {
            throw new RuntimeException("order " + orderId + " lookup failed", e);
        }
    }

    static int parseQuantity(String raw, long orderId) {
        try {
            return Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw new RuntimeException("invalid quantity for order " + orderId, e);
        }
    }

    static String couponCode(String code) {
        return code.isEmpty() ? null : code;
    }

    static void reserve(String sku) throws InventoryUnavailableException {
        try (Socket socket = new Socket("127.0.0.1", Runtime.closedPort())) {
            socket.getOutputStream().write(sku.getBytes());
        } catch (IOException e) {
            throw new InventoryUnavailableException("inventory for " + sku + " unavailable", e);
        }
    }

    static final class Batch implements AutoCloseable {
        private final String id;

        Batch(String id) {
            this.id = id;
        }

        void write() throws IOException {
            throw new IOException("export batch " + id + " failed: disk quota exceeded");
        }

        @Override
        public void close() {
            throw new IllegalStateException("batch " + id + " left open");
        }
    }

    static int depth(int n) {
        return n <= 0 ? 0 : 1 + depth(n - 1) + depth(n - 2) * 0;
    }

    static void ship(long orderId, String state) {
        if (!state.equals("PAID")) {
            throw new IllegalStateException("order " + orderId + " cannot ship in state " + state);
        }
    }

    public static void main(String[] argv) throws Exception {
        rt = new Runtime("logback", "order-service", argv[1]);
        Map<String, Consumer<Map<String, String>>> steps = new HashMap<>();
        steps.put("info", a -> rt.log("INFO", a.get("logger"), a.get("text"), null, null));
        steps.put("warn", a -> rt.log("WARN", REPOSITORY, a.get("text"), null, null));
        steps.put("timeout", a -> {
            try {
                loadOrder(Long.parseLong(a.get("order")));
            } catch (RuntimeException e) {
                rt.log("ERROR", CONTROLLER, "GET /orders/" + a.get("order") + " failed", e, "timeout");
            }
        });
        steps.put("nfe", a -> {
            try {
                parseQuantity(a.get("raw"), Long.parseLong(a.get("order")));
            } catch (RuntimeException e) {
                rt.log("ERROR", CONTROLLER, "POST /orders failed for " + a.get("email"), e, "nfe");
            }
        });
        steps.put("npe", a -> {
            try {
                String code = couponCode("");
                rt.log("INFO", CONTROLLER, "coupon length " + code.length(), null, null);
            } catch (NullPointerException e) {
                rt.log("ERROR", CONTROLLER, "applying coupon to order " + a.get("order"), e, "npe");
            }
        });
        steps.put("refused", a -> {
            try {
                reserve(a.get("sku"));
            } catch (InventoryUnavailableException e) {
                rt.log("ERROR", REPOSITORY, "reservation failed for order " + a.get("order"), e, "refused");
            }
        });
        steps.put("state", a -> {
            try {
                ship(Long.parseLong(a.get("order")), a.get("state"));
            } catch (IllegalStateException e) {
                rt.log("ERROR", CONTROLLER, "shipping order " + a.get("order"), e, "state");
            }
        });
        steps.put("suppressed", a -> {
            try (Batch batch = new Batch(a.get("batch"))) {
                batch.write();
            } catch (IOException e) {
                rt.log("ERROR", REPOSITORY, "nightly export aborted", e, "suppressed");
            }
        });
        steps.put("overflow", a -> {
            try {
                depth(Integer.MAX_VALUE);
            } catch (StackOverflowError e) {
                rt.log("ERROR", CONTROLLER, "rendering invoice " + a.get("order"), e, "overflow");
            }
        });
        steps.put("uncaught", a -> {
            try {
                rt.uncaught("order-worker-" + a.get("worker"), () -> {
                    int[] slots = new int[3];
                    slots[Integer.parseInt(a.get("slot"))] = 1;
                }, "uncaught");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        steps.put("untyped", a -> rt.log("ERROR", REPOSITORY,
                "payment callback rejected for order " + a.get("order") + ": amount " + a.get("amount")
                        + " EUR does not match " + a.get("expected"), null, "untyped"));
        Runtime.run(argv[0], steps);
        System.exit(0);
    }
}
