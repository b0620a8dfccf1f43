package com.example.payment.controller;

import ch.qos.logback.classic.pattern.ExtendedThrowableProxyConverter;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.CoreConstants;

/**
 * Spring Boot's %wEx (org.springframework.boot.logging.logback.ExtendedWhitespaceThrowableProxyConverter)
 * rewritten for plain logback, since Spring Boot is not installable here: logback's %xEx with
 * a line break before and after the trace, and nothing at all when the event has no exception.
 */
public class WhitespaceThrowableConverter extends ExtendedThrowableProxyConverter {
    @Override
    protected String throwableProxyToString(IThrowableProxy tp) {
        return CoreConstants.LINE_SEPARATOR + super.throwableProxyToString(tp) + CoreConstants.LINE_SEPARATOR;
    }
}
