// Command gorm is the GORM scenario: a Post model as GORM users write it (ID with GORM's
// default auto-increment, so AutoMigrate creates a bigserial key), AutoMigrate run twice,
// Create, First, UpdateColumn with gorm.Expr for increments, db.Transaction commit and
// rollback, Delete.
package main

import (
	"errors"
	"fmt"
	"log"
	"os"
	"sync"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/tally-db/tally/tests/compat/go/internal/scenario"
)

// Post is the model; GORM names its table "posts".
type Post struct {
	ID    int64  `gorm:"primaryKey"`
	Title string `gorm:"not null"`
	Likes int64  `gorm:"not null;default:0"`
}

// PostV2 is the next version of the model: a new counter column that AutoMigrate adds
// with ALTER TABLE.
type PostV2 struct {
	ID     int64  `gorm:"primaryKey"`
	Title  string `gorm:"not null"`
	Likes  int64  `gorm:"not null;default:0"`
	Shares int64  `gorm:"not null;default:0"`
}

// TableName keeps PostV2 on the posts table.
func (PostV2) TableName() string { return "posts" }

var errRollback = errors.New("roll back on purpose")

func main() {
	run := scenario.New("GORM")
	var db *gorm.DB

	run.Step("connect with password", func() error {
		var err error
		// Logger at Info prints every SQL statement GORM sends, with its error.
		sqlLog := logger.New(log.New(os.Stdout, "     ", 0), logger.Config{LogLevel: logger.Info})
		db, err = gorm.Open(postgres.Open(scenario.DSN()), &gorm.Config{Logger: sqlLog})
		if err != nil {
			return scenario.Errf(err, "gorm.Open(postgres.Open(dsn))")
		}
		sqlDB, err := db.DB()
		if err != nil {
			return scenario.Errf(err, "db.DB()")
		}
		sqlDB.SetMaxOpenConns(10)
		return nil
	})

	run.Step("AutoMigrate creates the table", func() error {
		if err := db.AutoMigrate(&Post{}); err != nil {
			return scenario.Errf(err, "db.AutoMigrate(&Post{})")
		}
		return scenario.Expect("db.Migrator().HasTable(&Post{})", true, db.Migrator().HasTable(&Post{}))
	})
	run.Step("AutoMigrate again sees the table", func() error {
		if err := db.AutoMigrate(&Post{}); err != nil {
			return scenario.Errf(err, "db.AutoMigrate(&Post{}) (second run)")
		}
		return nil
	})

	var p Post
	read := func(id int64) (Post, error) {
		var got Post
		if err := db.First(&got, id).Error; err != nil {
			return got, scenario.Errf(err, "db.First(&post, %d)", id)
		}
		return got, nil
	}
	expectLikes := func(want int64) error {
		got, err := read(p.ID)
		if err != nil {
			return err
		}
		return scenario.Expect(fmt.Sprintf("db.First(&post, %d).Likes", p.ID), want, got.Likes)
	}

	run.Step("Create assigns the id and the default", func() error {
		p = Post{Title: "hello"}
		res := db.Create(&p)
		if res.Error != nil {
			return scenario.Errf(res.Error, "db.Create(&Post{Title: \"hello\"})")
		}
		if err := scenario.Expect("db.Create RowsAffected", int64(1), res.RowsAffected); err != nil {
			return err
		}
		if p.ID == 0 {
			return scenario.Expect("db.Create: post.ID", "an assigned id", p.ID)
		}
		fmt.Printf("     (Create got id %d)\n", p.ID)
		second := Post{Title: "second"}
		if err := db.Create(&second).Error; err != nil {
			return scenario.Errf(err, "db.Create(&Post{Title: \"second\"})")
		}
		if second.ID == p.ID {
			return scenario.Expect("second post's id", "a new id", second.ID)
		}
		got, err := read(p.ID)
		if err != nil {
			return err
		}
		return scenario.Expect("db.First(&post, id)", Post{ID: p.ID, Title: "hello", Likes: 0}, got)
	})

	run.Step("list and count the posts (Order, Find, Count)", func() error {
		var posts []Post
		if err := db.Order("id").Find(&posts).Error; err != nil {
			return scenario.Errf(err, "db.Order(\"id\").Find(&posts)")
		}
		titles := []string{}
		for _, x := range posts {
			titles = append(titles, x.Title)
		}
		if err := scenario.Expect("titles of db.Order(\"id\").Find(&posts)", []string{"hello", "second"}, titles); err != nil {
			return err
		}
		var n int64
		if err := db.Model(&Post{}).Count(&n).Error; err != nil {
			return scenario.Errf(err, "db.Model(&Post{}).Count(&n)")
		}
		return scenario.Expect("db.Model(&Post{}).Count", int64(2), n)
	})

	increment := func(tx *gorm.DB, n int) error {
		res := tx.Model(&p).UpdateColumn("likes", gorm.Expr("likes + ?", n))
		if res.Error != nil {
			return scenario.Errf(res.Error, "db.Model(&post).UpdateColumn(\"likes\", gorm.Expr(\"likes + ?\", %d))", n)
		}
		return scenario.Expect("UpdateColumn likes + ? RowsAffected", int64(1), res.RowsAffected)
	}

	run.Step("increment 50 times (UpdateColumn with gorm.Expr)", func() error {
		for i := 0; i < 50; i++ {
			if err := increment(db, 1); err != nil {
				return err
			}
		}
		return expectLikes(50)
	})

	run.Step("10 concurrent increments over the pool", func() error {
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = increment(db, 1)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		return expectLikes(60)
	})

	run.Step("upsert increment (clause.OnConflict with gorm.Expr)", func() error {
		upsert := func() error {
			res := db.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "id"}},
				DoUpdates: clause.Assignments(map[string]any{"likes": gorm.Expr("posts.likes + ?", 1)}),
			}).Create(&Post{ID: p.ID, Title: "upserted", Likes: 1})
			if res.Error != nil {
				return scenario.Errf(res.Error, "db.Clauses(clause.OnConflict{id; likes = posts.likes + 1}).Create(&Post{ID: %d})", p.ID)
			}
			return scenario.Expect("upsert RowsAffected", int64(1), res.RowsAffected)
		}
		for i := 0; i < 2; i++ {
			if err := upsert(); err != nil {
				return err
			}
		}
		return expectLikes(62)
	})

	run.Step("set an absolute value (Update)", func() error {
		res := db.Model(&p).Update("likes", 7)
		if res.Error != nil {
			return scenario.Errf(res.Error, "db.Model(&post).Update(\"likes\", 7)")
		}
		return expectLikes(7)
	})

	run.Step("Save writes every field of a loaded post", func() error {
		got, err := read(p.ID)
		if err != nil {
			return err
		}
		got.Title = "saved"
		res := db.Save(&got)
		if res.Error != nil {
			return scenario.Errf(res.Error, "db.Save(&post)")
		}
		if err := scenario.Expect("db.Save RowsAffected", int64(1), res.RowsAffected); err != nil {
			return err
		}
		again, err := read(p.ID)
		if err != nil {
			return err
		}
		return scenario.Expect("db.First after Save", Post{ID: p.ID, Title: "saved", Likes: 7}, again)
	})

	run.Step("db.Transaction that commits", func() error {
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := increment(tx, 5); err != nil {
				return err
			}
			if err := tx.Model(&p).Update("title", "edited").Error; err != nil {
				return scenario.Errf(err, "tx.Model(&post).Update(\"title\", \"edited\")")
			}
			return nil
		})
		if err != nil {
			return err
		}
		got, err := read(p.ID)
		if err != nil {
			return err
		}
		return scenario.Expect("db.First after commit", Post{ID: p.ID, Title: "edited", Likes: 12}, got)
	})

	run.Step("db.Transaction that rolls back", func() error {
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := increment(tx, 100); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			return scenario.Errf(err, "db.Transaction returning an error")
		}
		return expectLikes(12)
	})

	run.Step("nested db.Transaction rolls back to its savepoint", func() error {
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := increment(tx, 1); err != nil {
				return err
			}
			inner := tx.Transaction(func(tx2 *gorm.DB) error {
				if err := increment(tx2, 100); err != nil {
					return err
				}
				return errRollback
			})
			if !errors.Is(inner, errRollback) {
				return scenario.Errf(inner, "nested tx.Transaction returning an error")
			}
			return nil
		})
		if err != nil {
			return err
		}
		return expectLikes(13)
	})

	run.Step("Delete", func() error {
		res := db.Delete(&p)
		if res.Error != nil {
			return scenario.Errf(res.Error, "db.Delete(&post)")
		}
		if err := scenario.Expect("db.Delete RowsAffected", int64(1), res.RowsAffected); err != nil {
			return err
		}
		err := db.First(&Post{}, p.ID).Error
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return scenario.Expect("db.First of the deleted post: error", gorm.ErrRecordNotFound.Error(), fmt.Sprint(err))
		}
		return nil
	})

	run.Step("AutoMigrate of a new model version adds a column (the next deploy)", func() error {
		// A new release opens its own pool: the old one's cached statements still describe
		// the old table (a server, Postgres included, answers them 0A000 "cached plan must
		// not change result type" once).
		db2, err := gorm.Open(postgres.Open(scenario.DSN()), &gorm.Config{Logger: db.Logger})
		if err != nil {
			return scenario.Errf(err, "gorm.Open (new release)")
		}
		if sqlDB, err := db2.DB(); err == nil {
			defer sqlDB.Close()
		}
		if err := db2.AutoMigrate(&PostV2{}); err != nil {
			return scenario.Errf(err, "db.AutoMigrate(&PostV2{}) (adds shares)")
		}
		v2 := PostV2{Title: "v2"}
		if err := db2.Create(&v2).Error; err != nil {
			return scenario.Errf(err, "db.Create(&PostV2{Title: \"v2\"})")
		}
		res := db2.Model(&v2).UpdateColumn("shares", gorm.Expr("shares + ?", 3))
		if res.Error != nil {
			return scenario.Errf(res.Error, "UpdateColumn(\"shares\", gorm.Expr(\"shares + ?\", 3))")
		}
		var got PostV2
		if err := db2.First(&got, v2.ID).Error; err != nil {
			return scenario.Errf(err, "db.First(&PostV2{}, %d)", v2.ID)
		}
		return scenario.Expect("PostV2 after the new column and an increment", PostV2{ID: v2.ID, Title: "v2", Likes: 0, Shares: 3}, got)
	})

	run.Done()
}
