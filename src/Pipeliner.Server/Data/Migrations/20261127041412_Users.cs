using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pipeliner.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class Users : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "UserId",
                table: "ApiTokens",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "Users",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Role = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    DisabledAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Users", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ApiTokens_UserId",
                table: "ApiTokens",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_Users_Name",
                table: "Users",
                column: "Name",
                unique: true);

            // Existing tokens keep working: one user per distinct token name, with the highest role among its tokens
            // and the time of its first token. Kept by hand: a regenerated migration must keep this step.
            migrationBuilder.Sql("""
                INSERT INTO "Users" ("Name", "Role", "CreatedAt")
                SELECT "Name",
                       CASE MAX(CASE "Role" WHEN 'admin' THEN 3 WHEN 'release-manager' THEN 2 WHEN 'developer' THEN 1 ELSE 0 END)
                           WHEN 3 THEN 'admin' WHEN 2 THEN 'release-manager' WHEN 1 THEN 'developer' ELSE 'viewer' END,
                       MIN("CreatedAt")
                FROM "ApiTokens"
                GROUP BY "Name";
                """);
            migrationBuilder.Sql("""
                UPDATE "ApiTokens" SET "UserId" = (SELECT "Id" FROM "Users" WHERE "Users"."Name" = "ApiTokens"."Name");
                """);

            migrationBuilder.AddForeignKey(
                name: "FK_ApiTokens_Users_UserId",
                table: "ApiTokens",
                column: "UserId",
                principalTable: "Users",
                principalColumn: "Id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_ApiTokens_Users_UserId",
                table: "ApiTokens");

            migrationBuilder.DropTable(
                name: "Users");

            migrationBuilder.DropIndex(
                name: "IX_ApiTokens_UserId",
                table: "ApiTokens");

            migrationBuilder.DropColumn(
                name: "UserId",
                table: "ApiTokens");
        }
    }
}
