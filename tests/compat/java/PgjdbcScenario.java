// pgjdbc scenario: JDBC as Java applications use it. A PreparedStatement reused past
// pgjdbc's prepareThreshold (5) so it switches to a named server-side statement (and binary
// results), addBatch/executeBatch, RETURN_GENERATED_KEYS, 10 connections incrementing at
// once, setAutoCommit(false) with commit and rollback.
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.postgresql.PGStatement;

public final class PgjdbcScenario {
  /** A step that got a wrong value or an error. */
  static final class Failure extends Exception {
    final String call, expected, actual;
    Failure(String call, String expected, String actual, Throwable cause) {
      super(call + ": expected " + expected + ", got " + actual, cause);
      this.call = call; this.expected = expected; this.actual = actual;
    }
  }

  interface Step { void run() throws Exception; }

  static void step(String name, Step s) {
    try {
      s.run();
      System.out.println("ok   " + name);
    } catch (Exception e) {
      System.out.println("FAIL step \"" + name + "\"");
      Throwable cause = e;
      if (e instanceof Failure f) {
        System.out.println("  call:     " + f.call + "\n  expected: " + f.expected + "\n  actual:   " + f.actual);
        cause = f.getCause();
      }
      if (cause instanceof SQLException se) {
        System.out.println("  server error: SQLSTATE " + se.getSQLState() + ": " + se.getMessage());
      } else if (cause != null) {
        cause.printStackTrace(System.out);
      }
      System.exit(1);
    }
  }

  static void expect(String call, Object want, Object got) throws Failure {
    if (!Objects.deepEquals(want, got)) {
      throw new Failure(call, show(want), show(got), null);
    }
  }

  static String show(Object o) {
    if (o instanceof int[] a) return Arrays.toString(a);
    if (o instanceof long[] a) return Arrays.toString(a);
    return String.valueOf(o);
  }

  interface Call<T> { T run() throws SQLException; }

  static <T> T call(String text, Call<T> c) throws Failure {
    try {
      return c.run();
    } catch (SQLException e) {
      throw new Failure(text, "no error", "error", e);
    }
  }

  static final String URL = "jdbc:postgresql://" + System.getenv("PGHOST") + ":" + System.getenv("PGPORT")
      + "/" + System.getenv("PGDATABASE");

  static Connection connect() throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", System.getenv("PGUSER"));
    p.setProperty("password", System.getenv("PGPASSWORD"));
    p.setProperty("sslmode", "disable");
    p.setProperty("ApplicationName", "tally-compat-pgjdbc");
    return DriverManager.getConnection(URL, p);
  }

  static Connection conn;

  static long likes(long id) throws Failure {
    return call("SELECT likes FROM posts WHERE id = ? [" + id + "]", () -> {
      try (PreparedStatement ps = conn.prepareStatement("SELECT likes FROM posts WHERE id = ?")) {
        ps.setLong(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? rs.getLong(1) : -1L;
        }
      }
    });
  }

  static void expectLikes(long id, long want) throws Failure {
    expect("SELECT likes FROM posts WHERE id = " + id, want, likes(id));
  }

  static int update(Connection c, String sql, Object... args) throws Failure {
    return call(sql + " " + Arrays.toString(args), () -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
        return ps.executeUpdate();
      }
    });
  }

  static final String DDL = "CREATE TABLE IF NOT EXISTS posts (id bigint PRIMARY KEY, title text NOT NULL, likes bigint NOT NULL DEFAULT 0)";

  public static void main(String[] args) throws Exception {
    System.out.println("pgjdbc scenario against " + URL);

    step("connect with password", () -> {
      conn = call("DriverManager.getConnection(" + URL + ")", PgjdbcScenario::connect);
      String user = call("SELECT current_user", () -> {
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT current_user")) {
          rs.next();
          return rs.getString(1);
        }
      });
      expect("SELECT current_user", System.getenv("PGUSER"), user);
    });

    step("create table", () -> call("Statement.execute(CREATE TABLE)", () -> {
      try (Statement st = conn.createStatement()) { return st.execute(DDL); }
    }));
    step("create table again (IF NOT EXISTS)", () -> call("Statement.execute(CREATE TABLE IF NOT EXISTS)", () -> {
      try (Statement st = conn.createStatement()) { return st.execute(DDL); }
    }));

    step("insert", () -> expect("INSERT rows", 1, update(conn, "INSERT INTO posts (id, title) VALUES (?, ?)", 1L, "hello")));

    step("insert with RETURN_GENERATED_KEYS", () -> {
      long[] got = call("prepareStatement(INSERT, RETURN_GENERATED_KEYS)", () -> {
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO posts (id, title) VALUES (?, ?)", Statement.RETURN_GENERATED_KEYS)) {
          ps.setLong(1, 2L);
          ps.setString(2, "second");
          int n = ps.executeUpdate();
          try (ResultSet keys = ps.getGeneratedKeys()) {
            keys.next();
            return new long[] {n, keys.getLong("id"), keys.getLong("likes")};
          }
        }
      });
      expect("executeUpdate, generated id, likes", new long[] {1, 2, 0}, got);
    });

    step("list the posts", () -> {
      String got = call("SELECT id, title FROM posts ORDER BY id", () -> {
        StringBuilder b = new StringBuilder();
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT id, title FROM posts ORDER BY id")) {
          while (rs.next()) b.append(rs.getLong(1)).append(' ').append(rs.getString(2)).append(';');
        }
        return b.toString();
      });
      expect("posts ORDER BY id", "1 hello;2 second;", got);
    });

    step("increment 50 times with one PreparedStatement (server-prepared after 5)", () -> {
      try (PreparedStatement ps = conn.prepareStatement("UPDATE posts SET likes = likes + ? WHERE id = ?")) {
        for (int i = 1; i <= 50; i++) {
          final int n = i;
          int rows = call("ps.executeUpdate() #" + n, () -> {
            ps.setLong(1, 1L);
            ps.setLong(2, 1L);
            return ps.executeUpdate();
          });
          expect("executeUpdate #" + n + " rows", 1, rows);
        }
        expect("PGStatement.isUseServerPrepare() after 50 executions", true, ps.unwrap(PGStatement.class).isUseServerPrepare());
      }
      expectLikes(1, 50);
    });

    step("10 connections increment at once", () -> {
      ExecutorService pool = Executors.newFixedThreadPool(10);
      try {
        List<Future<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          fs.add(pool.submit(() -> {
            try (Connection c = connect()) {
              return update(c, "UPDATE posts SET likes = likes + 1 WHERE id = ?", 1L);
            }
          }));
        }
        for (Future<Integer> f : fs) {
          try {
            expect("concurrent executeUpdate rows", 1, f.get());
          } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception ex) throw ex;
            throw e;
          }
        }
      } finally {
        pool.shutdown();
      }
      expectLikes(1, 60);
    });

    step("read back the row", () -> {
      String got = call("SELECT id, title, likes", () -> {
        try (PreparedStatement ps = conn.prepareStatement("SELECT id, title, likes FROM posts WHERE id = ?")) {
          ps.setLong(1, 1L);
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong("id") + "|" + rs.getString("title") + "|" + rs.getLong("likes") : "no row";
          }
        }
      });
      expect("SELECT id, title, likes", "1|hello|60", got);
    });

    step("addBatch/executeBatch: three increments", () -> {
      int[] counts = call("executeBatch", () -> {
        try (PreparedStatement ps = conn.prepareStatement("UPDATE posts SET likes = likes + ? WHERE id = ?")) {
          for (long n = 1; n <= 3; n++) {
            ps.setLong(1, n);
            ps.setLong(2, 1L);
            ps.addBatch();
          }
          return ps.executeBatch();
        }
      });
      expect("executeBatch update counts", new int[] {1, 1, 1}, counts);
      expectLikes(1, 66);
    });

    step("executeBatch is all or nothing: a failing statement undoes the batch", () -> {
      SQLException err = null;
      try (Statement st = conn.createStatement()) {
        st.addBatch("UPDATE posts SET likes = likes + 1000 WHERE id = 1");
        st.addBatch("INSERT INTO posts (id, title) VALUES (2, 'duplicate key')");
        st.executeBatch();
      } catch (SQLException e) {
        err = e;
      }
      if (err == null) expect("executeBatch(UPDATE +1000, INSERT duplicate)", "BatchUpdateException", "no error");
      SQLException cause = err.getNextException() != null ? err.getNextException() : err;
      if (!"23505".equals(cause.getSQLState())) throw new Failure("executeBatch(UPDATE +1000, INSERT duplicate)", "SQLSTATE 23505", "SQLSTATE " + cause.getSQLState(), cause);
      expectLikes(1, 66);
    });

    step("set an absolute value", () -> {
      expect("UPDATE likes = ? rows", 1, update(conn, "UPDATE posts SET likes = ? WHERE id = ?", 7L, 1L));
      expectLikes(1, 7);
    });

    step("setAutoCommit(false) and commit", () -> {
      call("setAutoCommit(false)", () -> { conn.setAutoCommit(false); return null; });
      update(conn, "UPDATE posts SET likes = likes + ? WHERE id = ?", 5L, 1L);
      update(conn, "UPDATE posts SET title = ? WHERE id = ?", "edited", 1L);
      call("commit()", () -> { conn.commit(); return null; });
      call("setAutoCommit(true)", () -> { conn.setAutoCommit(true); return null; });
      String got = call("SELECT title, likes", () -> {
        try (PreparedStatement ps = conn.prepareStatement("SELECT title, likes FROM posts WHERE id = ?")) {
          ps.setLong(1, 1L);
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getString(1) + "|" + rs.getLong(2) : "no row";
          }
        }
      });
      expect("title and likes after commit", "edited|12", got);
    });

    step("setAutoCommit(false) and rollback", () -> {
      call("setAutoCommit(false)", () -> { conn.setAutoCommit(false); return null; });
      update(conn, "UPDATE posts SET likes = likes + ? WHERE id = ?", 100L, 1L);
      expect("likes inside the transaction", 112L, likes(1));
      call("rollback()", () -> { conn.rollback(); return null; });
      call("setAutoCommit(true)", () -> { conn.setAutoCommit(true); return null; });
      expectLikes(1, 12);
    });

    step("setSavepoint and rollback(savepoint) undo only the inner work", () -> {
      call("setAutoCommit(false)", () -> { conn.setAutoCommit(false); return null; });
      update(conn, "UPDATE posts SET likes = likes + ? WHERE id = ?", 1L, 1L);
      java.sql.Savepoint sp = call("setSavepoint()", () -> conn.setSavepoint());
      update(conn, "UPDATE posts SET likes = likes + ? WHERE id = ?", 100L, 1L);
      call("rollback(savepoint)", () -> { conn.rollback(sp); return null; });
      call("commit()", () -> { conn.commit(); return null; });
      call("setAutoCommit(true)", () -> { conn.setAutoCommit(true); return null; });
      expectLikes(1, 13);
    });

    step("delete the row", () -> {
      expect("DELETE rows", 1, update(conn, "DELETE FROM posts WHERE id = ?", 1L));
      expect("likes of the deleted row (-1: no row)", -1L, likes(1));
      expect("increment of the deleted row: rows", 0, update(conn, "UPDATE posts SET likes = likes + 1 WHERE id = ?", 1L));
      expectLikes(2, 0);
    });

    conn.close();
    System.out.println("pgjdbc scenario: all steps passed");
  }
}
