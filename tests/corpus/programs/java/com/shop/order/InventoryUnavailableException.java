package com.shop.order;

/** The inventory service could not be reached. */
public class InventoryUnavailableException extends Exception {
    public InventoryUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
