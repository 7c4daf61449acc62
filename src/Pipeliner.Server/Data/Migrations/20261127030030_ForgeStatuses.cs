using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pipeliner.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class ForgeStatuses : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ForgeApiUrl",
                table: "Projects",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ForgeTokenProtected",
                table: "Projects",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "ForgeStatusContexts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RunId = table.Column<long>(type: "INTEGER", nullable: false),
                    Context = table.Column<string>(type: "TEXT", nullable: false),
                    JobId = table.Column<string>(type: "TEXT", nullable: true),
                    State = table.Column<string>(type: "TEXT", nullable: false),
                    Sequence = table.Column<int>(type: "INTEGER", nullable: false),
                    SettledSequence = table.Column<int>(type: "INTEGER", nullable: false),
                    DeliveredState = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ForgeStatusContexts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ForgeStatusContexts_Runs_RunId",
                        column: x => x.RunId,
                        principalTable: "Runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ForgeStatusUpdates",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ContextId = table.Column<long>(type: "INTEGER", nullable: false),
                    Sequence = table.Column<int>(type: "INTEGER", nullable: false),
                    State = table.Column<string>(type: "TEXT", nullable: false),
                    Description = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ForgeStatusUpdates", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ForgeStatusUpdates_ForgeStatusContexts_ContextId",
                        column: x => x.ContextId,
                        principalTable: "ForgeStatusContexts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ForgeStatusAttempts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    UpdateId = table.Column<long>(type: "INTEGER", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    Outcome = table.Column<string>(type: "TEXT", nullable: false),
                    HttpStatus = table.Column<int>(type: "INTEGER", nullable: true),
                    Message = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ForgeStatusAttempts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ForgeStatusAttempts_ForgeStatusUpdates_UpdateId",
                        column: x => x.UpdateId,
                        principalTable: "ForgeStatusUpdates",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ForgeStatusAttempts_UpdateId",
                table: "ForgeStatusAttempts",
                column: "UpdateId");

            migrationBuilder.CreateIndex(
                name: "IX_ForgeStatusContexts_RunId_Context",
                table: "ForgeStatusContexts",
                columns: new[] { "RunId", "Context" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ForgeStatusUpdates_ContextId",
                table: "ForgeStatusUpdates",
                column: "ContextId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ForgeStatusAttempts");

            migrationBuilder.DropTable(
                name: "ForgeStatusUpdates");

            migrationBuilder.DropTable(
                name: "ForgeStatusContexts");

            migrationBuilder.DropColumn(
                name: "ForgeApiUrl",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "ForgeTokenProtected",
                table: "Projects");
        }
    }
}
