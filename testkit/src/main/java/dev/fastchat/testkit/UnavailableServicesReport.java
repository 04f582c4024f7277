package dev.fastchat.testkit;

import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints, at the end of a test run, one line per real service that was not reachable, with how many tests it
 * skipped and how to start it, so that a skipped integration test is seen in the console and not only in the
 * XML reports. Registered through {@code META-INF/services}.
 */
public final class UnavailableServicesReport implements TestExecutionListener {
    @Override
    public void testPlanExecutionFinished(TestPlan testPlan) {
        TestServices.SKIPPED.forEach((reason, count) ->
                System.out.printf("[WARNING] Tests skipped (%d): %s%n", count.get(), reason));
    }
}
