// Starts Neo4j Community (with GDS when its jars are on the class path) as configured in a
// neo4j.conf, for development and tests. Run in Java's source-file mode, no build step:
//   java -cp 'lib/*' Launcher.java HOME CONF
// With SUNLIGHT_NEO4J_SET_PASSWORD in the environment, the built-in user neo4j gets that
// password (done on the first start of a new home). SIGTERM shuts the database down cleanly.
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

public class Launcher {
    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]).toAbsolutePath();
        DatabaseManagementService dbms =
                new DatabaseManagementServiceBuilder(home).loadPropertiesFromFile(Path.of(args[1])).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            System.out.println("sunlight-neo4j: stopped");
            stopped.countDown();
        }));
        String password = System.getenv("SUNLIGHT_NEO4J_SET_PASSWORD");
        if (password != null && !password.isEmpty()) {
            dbms.database("system").executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        }
        System.out.println("sunlight-neo4j: ready");
        stopped.await();
    }
}
